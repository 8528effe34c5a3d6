import type { Knex } from 'knex';

/**
 * No query orders or filters a room's events by depth (the timeline is read by stream position, the
 * DAG through the PDUs), and the index cost every sent event an index page of its room in SQLite's WAL.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('events', (table) => {
    table.dropIndex(['room_id', 'depth']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('events', (table) => {
    table.index(['room_id', 'depth']);
  });
}
