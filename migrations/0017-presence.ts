import type { Knex } from 'knex';

/**
 * Presence (client-server-api "Presence"): each local user's current state, status message and last
 * activity, numbered on the presence stream so /sync sends only what changed.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('presence', (table) => {
    table.string('user_id', 255).primary();
    table.string('state', 32).notNullable();
    table.text('status_msg');
    table.bigInteger('last_active_ts').notNullable();
    table.bigInteger('last_user_sync_ts').notNullable();
    table.boolean('currently_active').notNullable();
    table.bigInteger('stream_position').notNullable().index();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('presence');
}
