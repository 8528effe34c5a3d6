import type { Knex } from 'knex';

/**
 * Knocks of local users on rooms this server is not in (server-server-api "Knocking upon a room"):
 * the knock event (signed by this server), the stripped state the resident server answered with,
 * numbered on the events stream so /sync shows the knock once; `membership` becomes 'leave' when the
 * user retracts it, so /sync can report that too.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('remote_knocks', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('room_id', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.string('room_version', 32).notNullable();
    table.text('event_json').notNullable();
    table.text('knock_state_json').notNullable();
    table.string('membership', 16).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.primary(['user_id', 'room_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('remote_knocks');
}
