import type { Knex } from 'knex';

/**
 * Stream positions and account data (client-server-api "Client Config").
 * stream_counters hands out positions inside the writing transaction: the counter row stays locked
 * until commit, so positions of one stream commit in order on both engines and a /sync reader that
 * has seen position N has seen everything below it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('stream_counters', (table) => {
    table.string('stream', 64).primary();
    table.bigInteger('position').notNullable();
  });
  await db.schema.createTable('account_data', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    // '' for global account data, so the key has no NULL in it.
    table.string('room_id', 255).notNullable();
    table.string('type', 255).notNullable();
    table.text('content_json').notNullable();
    table.bigInteger('stream_position').notNullable();
    table.primary(['user_id', 'room_id', 'type']);
    table.index(['user_id', 'stream_position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('account_data');
  await db.schema.dropTable('stream_counters');
}
