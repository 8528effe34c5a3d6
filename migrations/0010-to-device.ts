import type { Knex } from 'knex';

/**
 * Send-to-device messages (client-server-api "Send-to-Device messaging"), queued per recipient
 * device on the to_device stream until the device acknowledges them by syncing past them; and the
 * transaction IDs clients send with PUT requests, so a retried request is not applied twice.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('to_device_messages', (table) => {
    table.bigInteger('stream_position').notNullable();
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.string('sender', 255).notNullable();
    table.string('type', 255).notNullable();
    table.text('content_json').notNullable();
    table.primary(['user_id', 'device_id', 'stream_position']);
    table.foreign(['user_id', 'device_id']).references(['user_id', 'device_id']).inTable('devices').onDelete('CASCADE');
  });
  await db.schema.createTable('client_transactions', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.string('endpoint', 255).notNullable();
    table.string('txn_id', 255).notNullable();
    table.text('response_json').notNullable();
    table.bigInteger('created_ts').notNullable();
    table.primary(['user_id', 'device_id', 'endpoint', 'txn_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('client_transactions');
  await db.schema.dropTable('to_device_messages');
}
