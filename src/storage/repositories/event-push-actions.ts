/**
 * Push actions (table event_push_actions) and the unread notification counts they give. A user's read
 * point in a room, per thread, is the furthest of their `m.read` / `m.read.private` receipts and the
 * events they sent (rows with notify false). An unthreaded receipt (thread '') covers every thread; a
 * threaded one covers its thread ('main' for the main timeline, stored here as thread_id null).
 */
import type { Knex } from 'knex';
import type { PushAction } from '../../core/push/push-rule.ts';
import { resultIgnored, type Database } from '../database.ts';

export interface PushActionRecord {
  userId: string;
  roomId: string;
  eventId: string;
  streamPosition: number;
  /** The thread root's event ID; null for the main timeline. */
  threadId: string | null;
  /** False for the row that records the user sent the event (it moves their read point). */
  notify: boolean;
  highlight: boolean;
  actions: PushAction[];
}

export interface UnreadCount {
  roomId: string;
  threadId: string | null;
  notificationCount: number;
  highlightCount: number;
}

export interface NotificationRecord extends PushActionRecord {
  /** Whether the user's read point in the event's room and thread is at or after it. */
  read: boolean;
}

interface Row {
  user_id: string;
  room_id: string;
  event_id: string;
  stream_position: number;
  thread_id: string | null;
  notify: boolean | number;
  highlight: boolean | number;
  actions_json: string;
}

const toRecord = (row: Row): PushActionRecord => ({
  userId: row.user_id,
  roomId: row.room_id,
  eventId: row.event_id,
  streamPosition: Number(row.stream_position),
  threadId: row.thread_id,
  notify: Boolean(row.notify),
  highlight: Boolean(row.highlight),
  actions: JSON.parse(row.actions_json) as PushAction[],
});

/** client-server-api "Marking notifications as read": both receipt types clear notifications. */
const readReceiptTypes = ['m.read', 'm.read.private'];

/** Rooms per query: keeps the IN lists (each repeated a few times) well under the engines' limits. */
const roomChunk = 300;

export class EventPushActionRepository {
  constructor(private readonly db: Database) {}

  /** A redacted event notifies nobody any more (the rows recording who sent it stay: they are read points). */
  async removeNotifications(eventId: string): Promise<void> {
    await this.db('event_push_actions').where({ event_id: eventId, notify: true }).delete().options(resultIgnored);
  }

  async insert(records: readonly PushActionRecord[]): Promise<void> {
    const rows = records.map((r) => ({
      user_id: r.userId,
      room_id: r.roomId,
      event_id: r.eventId,
      stream_position: r.streamPosition,
      thread_id: r.threadId,
      notify: r.notify,
      highlight: r.highlight,
      actions_json: JSON.stringify(r.actions),
    }));
    // 8 bindings a row: 500 rows stay far below both engines' limits, and a large room's event is one statement.
    for (let i = 0; i < rows.length; i += 500) await this.db<Row>('event_push_actions').insert(rows.slice(i, i + 500)).options(resultIgnored);
  }

  /**
   * The user's unread notifications per room and thread in `roomIds`, counting rows at or before
   * `upTo` and after the read point; threads without any are absent. One query per chunk of rooms.
   */
  async unreadCounts(userId: string, roomIds: readonly string[], upTo: number): Promise<UnreadCount[]> {
    const counts: UnreadCount[] = [];
    for (let i = 0; i < roomIds.length; i += roomChunk) {
      const chunk = roomIds.slice(i, i + roomChunk);
      const rows = (await this.db
        .with('points', this.readPointsQuery(userId, chunk))
        .select('a.room_id', 'a.thread_id', this.db.raw('COUNT(*) AS notification_count'), this.db.raw('SUM(CASE WHEN a.highlight THEN 1 ELSE 0 END) AS highlight_count'))
        .from('event_push_actions as a')
        .leftJoin('points as everything', (join) => join.on('everything.room_id', 'a.room_id').andOnVal('everything.thread_id', ''))
        .leftJoin('points as thread', (join) => join.on('thread.room_id', 'a.room_id').andOn('thread.thread_id', '=', this.db.raw("COALESCE(a.thread_id, 'main')")))
        .where('a.user_id', userId)
        .whereIn('a.room_id', chunk)
        .andWhere('a.notify', true)
        .andWhere('a.stream_position', '<=', upTo)
        .andWhereRaw('a.stream_position > COALESCE(everything.read_position, 0)')
        .andWhereRaw('a.stream_position > COALESCE(thread.read_position, 0)')
        .groupBy('a.room_id', 'a.thread_id')) as Array<{ room_id: string; thread_id: string | null; notification_count: number | string; highlight_count: number | string }>;
      counts.push(...rows.map((row) => ({ roomId: row.room_id, threadId: row.thread_id, notificationCount: Number(row.notification_count), highlightCount: Number(row.highlight_count) })));
    }
    return counts;
  }

  /** GET /notifications: the user's notifying rows before `before` (a stream position), newest first. */
  async notifications(userId: string, options: { before?: number; limit: number; onlyHighlight: boolean }): Promise<NotificationRecord[]> {
    const query = this.db<Row>('event_push_actions').where({ user_id: userId, notify: true }).orderBy('stream_position', 'desc').limit(options.limit);
    if (options.before !== undefined) query.andWhere('stream_position', '<', options.before);
    if (options.onlyHighlight) query.andWhere('highlight', true);
    return this.withReadFlags(userId, (await query).map(toRecord));
  }

  /** Push delivery: the user's notifying rows after `after` and at or before `upTo`, oldest first. */
  async notificationsBetween(userId: string, after: number, upTo: number, limit: number): Promise<NotificationRecord[]> {
    const rows = await this.db<Row>('event_push_actions')
      .where({ user_id: userId, notify: true })
      .andWhere('stream_position', '>', after)
      .andWhere('stream_position', '<=', upTo)
      .orderBy('stream_position', 'asc')
      .limit(limit);
    return this.withReadFlags(userId, rows.map(toRecord));
  }

  private async withReadFlags(userId: string, records: PushActionRecord[]): Promise<NotificationRecord[]> {
    const points = await this.readPoints(userId, [...new Set(records.map((r) => r.roomId))]);
    return records.map((record) => {
      const inRoom = points.get(record.roomId);
      const readUpTo = Math.max(inRoom?.get('') ?? 0, inRoom?.get(record.threadId ?? 'main') ?? 0);
      return { ...record, read: record.streamPosition <= readUpTo };
    });
  }

  /**
   * Deletes up to `limit` rows at or before `upTo` that no count needs: notifications the user has
   * read by a receipt (unthreaded, or of their thread), and the rows of events they sent except the
   * newest per room and thread (the newest is a read point; the older ones are behind it). Read
   * points stay where they were, so unread counts do not change. Returns how many went.
   */
  async pruneUpTo(upTo: number, limit: number): Promise<number> {
    const thread = "COALESCE(a.thread_id, 'main')";
    const readByReceipt = this.db('receipts as r')
      .join('events as e', 'e.event_id', 'r.event_id')
      .max('e.stream_position')
      .whereRaw('r.user_id = a.user_id AND r.room_id = a.room_id')
      .whereIn('r.receipt_type', readReceiptTypes)
      .where((q) => q.where('r.thread_id', '').orWhereRaw(`r.thread_id = ${thread}`));
    const newestSent = this.db('event_push_actions as b')
      .max('b.stream_position')
      .whereRaw(`b.user_id = a.user_id AND b.room_id = a.room_id AND b.notify = ? AND COALESCE(b.thread_id, 'main') = ${thread}`, [false]);
    const prunable = this.db('event_push_actions as a')
      .select('a.user_id', 'a.room_id', 'a.stream_position')
      .where('a.stream_position', '<=', upTo)
      .where((q) =>
        q
          .where((read) => read.where('a.notify', true).andWhere('a.stream_position', '<=', readByReceipt))
          .orWhere((sent) => sent.where('a.notify', false).andWhere('a.stream_position', '<', newestSent)),
      )
      .limit(limit);
    return Number(await this.db('event_push_actions').whereIn(['user_id', 'room_id', 'stream_position'], prunable).delete());
  }

  /** The user's read points: room → thread ('' unthreaded, 'main', or a root) → stream position. */
  async readPoints(userId: string, roomIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const points = new Map<string, Map<string, number>>();
    for (let i = 0; i < roomIds.length; i += roomChunk) {
      const rows = (await this.readPointsQuery(userId, roomIds.slice(i, i + roomChunk))) as Array<{ room_id: string; thread_id: string; read_position: number | string }>;
      for (const row of rows) {
        const inRoom = points.get(row.room_id) ?? new Map<string, number>();
        inRoom.set(row.thread_id, Number(row.read_position));
        points.set(row.room_id, inRoom);
      }
    }
    return points;
  }

  private readPointsQuery(userId: string, roomIds: readonly string[]): Knex.QueryBuilder {
    const receipts = this.db('receipts as r')
      .join('events as e', 'e.event_id', 'r.event_id')
      .select('r.room_id', 'r.thread_id', 'e.stream_position as read_position')
      .where('r.user_id', userId)
      .whereIn('r.room_id', roomIds)
      .whereIn('r.receipt_type', readReceiptTypes);
    const sent = this.db('event_push_actions')
      .select('room_id', this.db.raw("COALESCE(thread_id, 'main') AS thread_id"), 'stream_position as read_position')
      .where({ user_id: userId, notify: false })
      .whereIn('room_id', roomIds);
    return this.db
      .select('room_id', 'thread_id')
      .max({ read_position: 'read_position' })
      .from(receipts.unionAll(sent).as('marks'))
      .groupBy('room_id', 'thread_id');
  }
}
