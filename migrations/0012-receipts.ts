import type { Knex } from 'knex';

/**
 * Read receipts (client-server-api "Receipts"): the latest receipt per room, type, user and thread
 * ('' for unthreaded), numbered on the receipts stream so /sync sends only the changed ones.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('receipts', (table) => {
    table.string('room_id', 255).notNullable();
    table.string('receipt_type', 255).notNullable();
    table.string('user_id', 255).notNullable();
    table.string('thread_id', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.bigInteger('ts').notNullable();
    table.bigInteger('stream_position').notNullable();
    table.primary(['room_id', 'receipt_type', 'user_id', 'thread_id']);
    table.index(['room_id', 'stream_position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('receipts');
}
