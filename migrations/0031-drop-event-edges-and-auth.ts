import type { Knex } from 'knex';

/**
 * event_edges and event_auth held each event's prev_events and auth_events, which its PDU already
 * holds, and nothing read them: the DAG walks (backfill, missing events, auth chains) read the PDUs.
 * Keyed by event ID, their rows landed on random index pages: about a third of the pages a batch of
 * sent events wrote to SQLite's WAL.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.dropTable('event_edges');
  await db.schema.dropTable('event_auth');
}

export async function down(db: Knex): Promise<void> {
  await db.schema.createTable('event_edges', (table) => {
    table.string('event_id', 255).notNullable();
    table.string('prev_event_id', 255).notNullable();
    table.primary(['event_id', 'prev_event_id']);
    table.index(['prev_event_id']);
  });
  await db.schema.createTable('event_auth', (table) => {
    table.string('event_id', 255).notNullable();
    table.string('auth_event_id', 255).notNullable();
    table.primary(['event_id', 'auth_event_id']);
  });
}
