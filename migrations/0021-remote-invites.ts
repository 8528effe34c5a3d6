import type { Knex } from 'knex';

/**
 * Invites of local users to rooms this server is not in (server-server-api "Inviting to a room"):
 * the invite event (signed by both servers) and the stripped state the inviting server sent, numbered
 * on the events stream so /sync shows the invite once; `membership` becomes 'leave' when the user
 * rejects it, so /sync can report that too.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('remote_invites', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('room_id', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.string('room_version', 32).notNullable();
    table.text('event_json').notNullable();
    table.text('invite_state_json').notNullable();
    table.string('membership', 16).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.primary(['user_id', 'room_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('remote_invites');
}
