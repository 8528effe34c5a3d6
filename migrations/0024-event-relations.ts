import type { Knex } from 'knex';
import { isJsonObject } from '../src/core/canonical-json.ts';
import { relationOf } from '../src/core/events/relations.ts';

/**
 * Event relationships (client-server-api "Forming relationships between events"): one row per event
 * of the timeline whose content has an `m.relates_to` with a `rel_type`, keyed by the child, so the
 * children of a parent are one index range in stream order (/relations, bundled aggregations). A
 * redacted child loses its relation: its row is deleted. `threads` keeps each thread root's latest
 * reply, so "the threads of a room by latest activity" (/threads) is one index range too.
 *
 * The events already stored are indexed here from their JSON (only those that mention m.relates_to
 * are parsed), so existing rooms get their aggregations.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('event_relations', (table) => {
    table.string('event_id', 255).primary();
    table.string('relates_to_id', 255).notNullable();
    table.string('rel_type', 255).notNullable();
    table.string('room_id', 255).notNullable();
    // The child's type and sender: filters of /relations, validity of edits, thread participation.
    table.string('type', 255).notNullable();
    table.string('sender', 255).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.bigInteger('origin_server_ts').notNullable();
    // An annotation's key (any string, so text), for refusing duplicate annotations.
    table.text('aggregation_key').nullable();
    table.index(['relates_to_id', 'stream_position']);
  });
  await db.schema.createTable('threads', (table) => {
    table.string('thread_id', 255).notNullable();
    table.string('room_id', 255).notNullable();
    table.string('latest_event_id', 255).notNullable();
    table.bigInteger('latest_position').notNullable();
    table.primary(['thread_id', 'room_id']);
    table.index(['room_id', 'latest_position']);
  });
  await indexStoredEvents(db);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('threads');
  await db.schema.dropTable('event_relations');
}

/** Indexes the timeline's stored events that have a relation, a page at a time in stream order. */
async function indexStoredEvents(db: Knex): Promise<void> {
  const pageSize = 1000;
  let after = -Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = (await db('events as e')
      .select('e.event_id', 'e.room_id', 'e.type', 'e.sender', 'e.stream_position', 'e.origin_server_ts', 'e.pdu_json')
      .whereNotNull('e.stream_position')
      .andWhere('e.stream_position', '>', after)
      .whereNull('e.rejected_reason')
      .andWhere('e.soft_failed', false)
      .andWhere('e.outlier', false)
      .orderBy('e.stream_position', 'asc')
      .limit(pageSize)) as Array<{ event_id: string; room_id: string; type: string; sender: string; stream_position: number | string; origin_server_ts: number | string; pdu_json: string }>;
    if (rows.length === 0) break;
    after = Number(rows.at(-1)!.stream_position);
    const records = rows.flatMap((row) => {
      if (!row.pdu_json.includes('m.relates_to')) return [];
      const pdu: unknown = JSON.parse(row.pdu_json);
      const relation = isJsonObject(pdu) && isJsonObject(pdu.content) ? relationOf(pdu.content) : undefined;
      if (!relation) return [];
      return [
        {
          event_id: row.event_id,
          relates_to_id: relation.eventId,
          rel_type: relation.relType,
          room_id: row.room_id,
          type: row.type,
          sender: row.sender,
          stream_position: Number(row.stream_position),
          origin_server_ts: Number(row.origin_server_ts),
          aggregation_key: relation.key ?? null,
        },
      ];
    });
    if (records.length > 0) {
      const redacted = new Set(((await db('event_redactions').whereIn('redacts', records.map((r) => r.event_id)).select('redacts')) as Array<{ redacts: string }>).map((r) => r.redacts));
      const kept = records.filter((record) => !redacted.has(record.event_id));
      for (let i = 0; i < kept.length; i += 100) await db('event_relations').insert(kept.slice(i, i + 100));
    }
    if (rows.length < pageSize) break;
  }
  await db.raw(
    `INSERT INTO threads (thread_id, room_id, latest_event_id, latest_position)
     SELECT r.relates_to_id, r.room_id, r.event_id, r.stream_position FROM event_relations r
     WHERE r.rel_type = 'm.thread' AND r.stream_position = (
       SELECT MAX(o.stream_position) FROM event_relations o WHERE o.relates_to_id = r.relates_to_id AND o.room_id = r.room_id AND o.rel_type = 'm.thread')`,
  );
}
