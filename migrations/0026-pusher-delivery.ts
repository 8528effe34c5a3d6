import type { Knex } from 'knex';

/**
 * Where each HTTP pusher's delivery stands (push-gateway-api "Homeserver behaviour"): the stream
 * position of the last notification it dealt with (sent, skipped or given up on), so a restart resumes
 * after it and sends nothing twice; when it last succeeded; and since when it has been failing, so the
 * "reasonable amount of time" of retries is bounded across restarts too.
 *
 * Pushers registered before this migration start from the current end of the events stream: they are
 * not flooded with notifications from before delivery existed.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('pushers', (table) => {
    table.bigInteger('last_stream_position').notNullable().defaultTo(0);
    table.bigInteger('last_success_ts').nullable();
    table.bigInteger('failing_since_ts').nullable();
  });
  const counter = await db('stream_counters').where('stream', 'events').first('position');
  await db('pushers').update({ last_stream_position: counter ? Number(counter.position) : 0 });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('pushers', (table) => {
    table.dropColumn('last_stream_position');
    table.dropColumn('last_success_ts');
    table.dropColumn('failing_since_ts');
  });
}
