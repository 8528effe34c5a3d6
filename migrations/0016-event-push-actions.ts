import type { Knex } from 'knex';

/**
 * Push actions (client-server-api "Receiving notifications"): per local user, the events their push
 * rules said notify them about, written in the transaction that persists the event, so an event and
 * the count it raises appear in the same /sync. Unread counts are the rows after the user's read
 * point in a room (and thread: null is the main timeline). A row with notify false records that the
 * user sent the event, which moves their read point as a receipt would (push "Marking notifications
 * as read": "either by using the API or by sending an event").
 *
 * One index only: an event in a room of N local members writes N rows, each landing in a different
 * part of a per-user index, so every extra index costs N page writes per commit (measured on SQLite:
 * a 200-row commit takes ~6.5 ms with this key alone, ~10 ms with a second (user, position) index and
 * ~16 ms with three). The key serves counting per (user, room[, thread]) after a stream position;
 * GET /notifications, which is rare, reads a user's rows through its user_id prefix and sorts them.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('event_push_actions', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('room_id', 255).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.string('event_id', 255).notNullable();
    table.string('thread_id', 255).nullable();
    table.boolean('notify').notNullable();
    table.boolean('highlight').notNullable();
    table.text('actions_json').notNullable();
    // Stream positions are unique per event, so this also makes (user, event) unique.
    table.primary(['user_id', 'room_id', 'stream_position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('event_push_actions');
}
