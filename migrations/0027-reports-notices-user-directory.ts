import type { Knex } from 'knex';

/**
 * Reports of content (client-server-api "Reporting Content"), server notice rooms (client-server-api
 * "Server Notices") and the user directory's search index (client-server-api "User directory").
 *
 * - reports: one row per report of an event, a room or a user, for the server's administrators.
 * - server_notice_rooms: the one notices room of each user, so it is found without scanning rooms.
 * - user_directory: the name and avatar each known user is listed under (local users: their global
 *   profile; other servers' users: their latest member event), and user_directory_search its words,
 *   lowercased, searched by prefix with LIKE; which users a searcher may see is decided from the
 *   current memberships at query time.
 * - user_directory_rooms: whether each room counts as public for the directory (join rule public or
 *   history world_readable, as Synapse counts it), kept from the room's state.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('reports', (table) => {
    table.bigIncrements('id').primary();
    table.string('kind', 8).notNullable();
    table.string('reporter', 255).notNullable();
    table.string('room_id', 255).nullable();
    table.string('event_id', 255).nullable();
    table.string('target_user_id', 255).nullable();
    table.text('reason').nullable();
    table.integer('score').nullable();
    table.bigInteger('received_ts').notNullable();
    table.index(['kind', 'received_ts']);
  });
  await db.schema.createTable('server_notice_rooms', (table) => {
    table.string('user_id', 255).primary();
    table.string('room_id', 255).notNullable().index();
  });
  await db.schema.createTable('user_directory', (table) => {
    table.string('user_id', 255).primary();
    table.boolean('is_local').notNullable();
    table.text('display_name').nullable();
    table.text('avatar_url').nullable();
    // Folded (NFKC, lowercase) for ranking exact and prefix matches; the same folding as the search terms.
    table.text('folded_name').nullable();
    table.string('folded_localpart', 255).notNullable();
  });
  await db.schema.createTable('user_directory_search', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('token', 64).notNullable();
    table.primary(['user_id', 'token']);
    table.index(['token', 'user_id']);
  });
  await db.schema.createTable('user_directory_rooms', (table) => {
    table.string('room_id', 255).primary();
    table.boolean('is_public').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['user_directory_rooms', 'user_directory_search', 'user_directory', 'server_notice_rooms', 'reports']) await db.schema.dropTable(table);
}
