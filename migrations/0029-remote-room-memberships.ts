import type { Knex } from 'knex';

/**
 * A local user's membership in a room this server is not in (server-server-api "Inviting to a room",
 * "Knocking upon a room", "Leaving Rooms (Rejecting Invites)"): the newest invite, knock or leave,
 * with the room's stripped state as the other server sent it, numbered on the events stream so /sync
 * reports it once. One row per user and room: an invite after a knock (the knock accepted) replaces
 * it. It takes the place of remote_invites and remote_knocks, whose rows it keeps (the newer of the
 * two where both name the same user and room).
 */
const columns = (table: Knex.CreateTableBuilder, strippedState: string) => {
  table.string('user_id', 255).notNullable();
  table.string('room_id', 255).notNullable();
  table.string('event_id', 255).notNullable();
  table.string('room_version', 32).notNullable();
  table.text('event_json').notNullable();
  table.text(strippedState).notNullable();
  table.string('membership', 16).notNullable();
  table.bigInteger('stream_position').notNullable();
  table.primary(['user_id', 'room_id']);
};

interface Row {
  user_id: string;
  room_id: string;
  event_id: string;
  room_version: string;
  event_json: string;
  stripped_state_json: string;
  membership: string;
  stream_position: number | string;
}

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('remote_room_memberships', (table) => columns(table, 'stripped_state_json'));
  const invites: Row[] = (await db('remote_invites').select('*')).map(({ invite_state_json, ...row }) => ({ ...row, stripped_state_json: invite_state_json }));
  const knocks: Row[] = (await db('remote_knocks').select('*')).map(({ knock_state_json, ...row }) => ({ ...row, stripped_state_json: knock_state_json }));
  const newest = new Map<string, Row>();
  for (const row of [...invites, ...knocks]) {
    const key = `${row.user_id}\u0000${row.room_id}`;
    const held = newest.get(key);
    if (!held || Number(row.stream_position) > Number(held.stream_position)) newest.set(key, row);
  }
  const rows = [...newest.values()];
  for (let i = 0; i < rows.length; i += 100) await db('remote_room_memberships').insert(rows.slice(i, i + 100));
  await db.schema.dropTable('remote_invites');
  await db.schema.dropTable('remote_knocks');
}

export async function down(db: Knex): Promise<void> {
  await db.schema.createTable('remote_invites', (table) => columns(table, 'invite_state_json'));
  await db.schema.createTable('remote_knocks', (table) => columns(table, 'knock_state_json'));
  const rows: Row[] = await db('remote_room_memberships').select('*');
  for (const { stripped_state_json, ...row } of rows) {
    if (row.membership === 'knock') await db('remote_knocks').insert({ ...row, knock_state_json: stripped_state_json });
    else await db('remote_invites').insert({ ...row, invite_state_json: stripped_state_json });
  }
  await db.schema.dropTable('remote_room_memberships');
}
