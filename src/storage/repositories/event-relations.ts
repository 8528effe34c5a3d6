/**
 * Event relationships (tables event_relations and threads, migration 0024): the children of each
 * parent event in stream order, and each thread's latest reply. Written by the relation index in the
 * transactions that persist events; read by /relations, /threads and bundled aggregations.
 */
import type { Knex } from 'knex';
import type { Database } from '../database.ts';

export interface RelationRecord {
  /** The child event. */
  eventId: string;
  /** The parent event. */
  relatesToId: string;
  relType: string;
  roomId: string;
  type: string;
  sender: string;
  streamPosition: number;
  originServerTs: number;
  /** An annotation's key. */
  key: string | null;
}

/**
 * What bundled aggregations need of a parent's children (client-server-api "Aggregations of child
 * events"): its edits and references one row each; its thread replies one row per sender, with their
 * count and the sender's latest reply.
 */
export type AggregationRow = Pick<RelationRecord, 'relatesToId' | 'relType' | 'roomId' | 'sender' | 'eventId' | 'streamPosition'> & {
  /** m.thread: how many replies the sender sent; 1 for the others. */
  count: number;
};

export interface RelationPageRequest {
  parentId: string;
  roomId: string;
  relType?: string;
  eventType?: string;
  /** Children with positions in (`after`, `upTo`]. */
  after: number;
  upTo: number;
  dir: 'f' | 'b';
  limit: number;
  /** How many relations deep to follow (1: direct children only). */
  depth: number;
}

interface RelationRow {
  event_id: string;
  relates_to_id: string;
  rel_type: string;
  room_id: string;
  type: string;
  sender: string;
  stream_position: number | string;
  origin_server_ts: number | string;
  aggregation_key: string | null;
}

const toRecord = (row: RelationRow): RelationRecord => ({
  eventId: row.event_id,
  relatesToId: row.relates_to_id,
  relType: row.rel_type,
  roomId: row.room_id,
  type: row.type,
  sender: row.sender,
  streamPosition: Number(row.stream_position),
  originServerTs: Number(row.origin_server_ts),
  key: row.aggregation_key,
});

/** The aggregated relation types (event_annotations: "m.annotation relationships are not aggregated"). */
const aggregatedTypes = ['m.replace', 'm.reference'];
/** Parents per aggregation query: each ID is bound twice, far below the engines' limits. */
const parentChunk = 300;

export class EventRelationRepository {
  constructor(private readonly db: Database) {}

  async insert(records: readonly RelationRecord[]): Promise<void> {
    const rows = records.map((r) => ({
      event_id: r.eventId,
      relates_to_id: r.relatesToId,
      rel_type: r.relType,
      room_id: r.roomId,
      type: r.type,
      sender: r.sender,
      stream_position: r.streamPosition,
      origin_server_ts: r.originServerTs,
      aggregation_key: r.key,
    }));
    for (let i = 0; i < rows.length; i += 100) await this.db('event_relations').insert(rows.slice(i, i + 100)).onConflict('event_id').ignore();
  }

  /** Forgets the relation of a redacted event; returns it, if it had one. */
  async remove(eventId: string): Promise<RelationRecord | undefined> {
    const row = (await this.db<RelationRow>('event_relations').where('event_id', eventId).first()) as RelationRow | undefined;
    if (!row) return undefined;
    await this.db('event_relations').where('event_id', eventId).delete();
    return toRecord(row);
  }

  /** The aggregation rows of the children of `parentIds`, one query per chunk of parents. */
  async aggregationRows(parentIds: readonly string[]): Promise<AggregationRow[]> {
    const result: AggregationRow[] = [];
    for (let i = 0; i < parentIds.length; i += parentChunk) {
      const chunk = parentIds.slice(i, i + parentChunk);
      // Per parent and sender: the number of thread replies and the latest one (positions are unique).
      const perSender = this.db('event_relations')
        .select('relates_to_id', 'room_id', 'sender', this.db.raw('COUNT(*) AS reply_count'), this.db.raw('MAX(stream_position) AS latest_position'))
        .whereIn('relates_to_id', chunk)
        .andWhere('rel_type', 'm.thread')
        .groupBy('relates_to_id', 'room_id', 'sender');
      const threads = this.db
        .select('r.relates_to_id', 'r.rel_type', 'r.room_id', 'r.sender', 'r.event_id', 'r.stream_position', 'g.reply_count')
        .from('event_relations as r')
        .join(perSender.as('g'), (join) => join.on('g.relates_to_id', 'r.relates_to_id').andOn('g.latest_position', 'r.stream_position'));
      const others = this.db('event_relations')
        .select('relates_to_id', 'rel_type', 'room_id', 'sender', 'event_id', 'stream_position', this.db.raw('1 AS reply_count'))
        .whereIn('relates_to_id', chunk)
        .whereIn('rel_type', aggregatedTypes);
      const rows = (await this.db.select('*').from(threads.unionAll(others).as('a')).orderBy('stream_position')) as Array<Omit<RelationRow, 'type' | 'origin_server_ts' | 'aggregation_key'> & { reply_count: number | string }>;
      for (const row of rows) {
        result.push({ relatesToId: row.relates_to_id, relType: row.rel_type, roomId: row.room_id, sender: row.sender, eventId: row.event_id, streamPosition: Number(row.stream_position), count: Number(row.reply_count) });
      }
    }
    return result;
  }

  /**
   * A page of the parent's children in the room (client-server-api "GET /relations"), following
   * relations `depth` deep; the filters apply at every level, so a child reached only through a
   * filtered-out event is left out ("Relationships API").
   */
  async page(request: RelationPageRequest): Promise<Array<{ eventId: string; streamPosition: number }>> {
    const filtered = (query: Knex.QueryBuilder, table: string): Knex.QueryBuilder => {
      query.where(`${table}.room_id`, request.roomId);
      if (request.relType !== undefined) query.andWhere(`${table}.rel_type`, request.relType);
      if (request.eventType !== undefined) query.andWhere(`${table}.type`, request.eventType);
      return query;
    };
    const direct = filtered(this.db('event_relations as d').select('d.event_id', 'd.stream_position', this.db.raw('1 AS depth')).where('d.relates_to_id', request.parentId), 'd');
    const related =
      request.depth <= 1
        ? direct
        : direct.unionAll((union) => {
            filtered(union.select('e.event_id', 'e.stream_position', this.db.raw('r.depth + 1')).from('event_relations as e').join('related as r', 'e.relates_to_id', 'r.event_id').where('r.depth', '<', request.depth), 'e');
          });
    const rows = (await this.db
      .withRecursive('related', ['event_id', 'stream_position', 'depth'], related)
      .select('event_id', 'stream_position')
      .from('related')
      .where('stream_position', '>', request.after)
      .andWhere('stream_position', '<=', request.upTo)
      .orderBy('stream_position', request.dir === 'f' ? 'asc' : 'desc')
      .limit(request.limit)) as Array<{ event_id: string; stream_position: number | string }>;
    return rows.map((row) => ({ eventId: row.event_id, streamPosition: Number(row.stream_position) }));
  }

  /** event_annotations "Avoiding duplicate annotations": whether the sender annotated the parent with this type and key already. */
  async hasAnnotation(parentId: string, sender: string, type: string, key: string): Promise<boolean> {
    const row = await this.db('event_relations').where({ relates_to_id: parentId, rel_type: 'm.annotation', sender, type, aggregation_key: key }).first('event_id');
    return row !== undefined;
  }

  /** Makes `eventId` the thread's latest reply unless a later one is recorded (a backfilled reply is older than live ones). */
  async advanceThread(threadId: string, roomId: string, eventId: string, position: number): Promise<void> {
    await this.db('threads')
      .insert({ thread_id: threadId, room_id: roomId, latest_event_id: eventId, latest_position: position })
      .onConflict(['thread_id', 'room_id'])
      .merge(['latest_event_id', 'latest_position'])
      .where('threads.latest_position', '<', position);
  }

  /** After a reply was redacted: the thread's latest remaining reply, or no thread at all. */
  async refreshThread(threadId: string, roomId: string): Promise<void> {
    const latest = (await this.db('event_relations')
      .where({ relates_to_id: threadId, room_id: roomId, rel_type: 'm.thread' })
      .orderBy('stream_position', 'desc')
      .first('event_id', 'stream_position')) as { event_id: string; stream_position: number | string } | undefined;
    const thread = this.db('threads').where({ thread_id: threadId, room_id: roomId });
    if (!latest) await thread.delete();
    else await thread.update({ latest_event_id: latest.event_id, latest_position: Number(latest.stream_position) });
  }

  /**
   * The room's threads by latest reply, newest first, with latest replies at or before `upTo`; with
   * `participant`, only the threads they started or replied to (threads_list.yaml `include`).
   */
  async threads(roomId: string, options: { upTo?: number; participant?: string; limit: number }): Promise<Array<{ threadId: string; latestPosition: number }>> {
    const query = this.db('threads as t').select('t.thread_id', 't.latest_position').where('t.room_id', roomId);
    if (options.upTo !== undefined) query.andWhere('t.latest_position', '<=', options.upTo);
    const { participant } = options;
    if (participant !== undefined) {
      query.andWhere((either) =>
        either
          .whereExists((replied) => replied.select(this.db.raw('1')).from('event_relations as r').whereRaw('r.relates_to_id = t.thread_id').andWhere({ 'r.rel_type': 'm.thread', 'r.sender': participant }))
          .orWhereExists((started) => started.select(this.db.raw('1')).from('events as e').whereRaw('e.event_id = t.thread_id').andWhere('e.sender', participant)),
      );
    }
    const rows = (await query.orderBy('t.latest_position', 'desc').limit(options.limit)) as Array<{ thread_id: string; latest_position: number | string }>;
    return rows.map((row) => ({ threadId: row.thread_id, latestPosition: Number(row.latest_position) }));
  }
}
