import type { Knex } from 'knex';

/**
 * End-to-end encryption keys (client-server-api "End-to-End Encryption"): each device's identity
 * keys, its one-time keys (each claimed once) and one fallback key per algorithm, plus the
 * device_lists stream: one row per change to a user's devices, for /sync and /keys/changes.
 */
export async function up(db: Knex): Promise<void> {
  const deviceColumns = (table: Knex.CreateTableBuilder) => {
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.foreign(['user_id', 'device_id']).references(['user_id', 'device_id']).inTable('devices').onDelete('CASCADE');
  };
  await db.schema.createTable('device_keys', (table) => {
    deviceColumns(table);
    table.text('keys_json').notNullable();
    table.primary(['user_id', 'device_id']);
  });
  await db.schema.createTable('one_time_keys', (table) => {
    deviceColumns(table);
    table.string('algorithm', 64).notNullable();
    table.string('key_id', 255).notNullable();
    table.text('key_json').notNullable();
    table.primary(['user_id', 'device_id', 'algorithm', 'key_id']);
  });
  await db.schema.createTable('fallback_keys', (table) => {
    deviceColumns(table);
    table.string('algorithm', 64).notNullable();
    table.string('key_id', 255).notNullable();
    table.text('key_json').notNullable();
    table.boolean('used').notNullable();
    table.primary(['user_id', 'device_id', 'algorithm']);
  });
  await db.schema.createTable('device_list_changes', (table) => {
    table.bigInteger('stream_position').notNullable();
    table.string('user_id', 255).notNullable();
    table.primary(['stream_position', 'user_id']);
    table.index(['user_id', 'stream_position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('device_list_changes');
  await db.schema.dropTable('fallback_keys');
  await db.schema.dropTable('one_time_keys');
  await db.schema.dropTable('device_keys');
}
