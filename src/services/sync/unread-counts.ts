/**
 * The unread notification counts of a joined room in /sync (sync.yaml "Unread Notification Counts";
 * client-server-api "Receiving notifications"), for all the rooms of a response in one query. Without
 * `unread_thread_notifications` every thread's count goes into the room's; with it, each thread's
 * count is keyed by its root in `unread_thread_notifications` and the room's count is the main
 * timeline's only (threading "Threaded read receipts").
 *
 * Every message of a busy room changes the counts of all its members, and each of them syncs right
 * after: counts are kept per user and room in memory and moved along by the push actions committed
 * after them (announced in commit order, before the event reaches anyone's /sync), so a sync counts
 * nothing. What moves a read point (a receipt, the user's own message) drops the entry; the next sync
 * counts again. An entry serves a sync only when it is as of the sync's position or before it (no
 * action for that room and user in between), so the counts match the timeline sent.
 */
import { lru } from '../../util/lru.ts';
import type { UnreadCount } from '../../storage/repositories/event-push-actions.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ServerEvents } from '../server-events.ts';

export interface NotificationCounts {
  notification_count: number;
  highlight_count: number;
}

export interface RoomUnreadCounts {
  unread_notifications: NotificationCounts;
  /** Only threads with notifications; absent when none has any. */
  unread_thread_notifications?: Record<string, NotificationCounts>;
}

interface Entry {
  /** The events stream position the counts are as of. */
  asOf: number;
  /** By thread (null: the main timeline). */
  threads: Map<string | null, { notificationCount: number; highlightCount: number }>;
  /** Set while the counts are being read: what happened meanwhile, applied once they are in. */
  filling?: { actions: Array<{ position: number; threadId: string | null; highlight: boolean }>; dropped: boolean };
}

const keyOf = (userId: string, roomId: string) => `${userId}\u0000${roomId}`;

export class UnreadCounts {
  private readonly entries = lru<string, Entry>(20_000);
  /** The position of the latest push actions announced. */
  private latestActions = 0;

  constructor(
    private readonly storage: Storage,
    events: ServerEvents,
  ) {
    events.on('pushActions', ({ roomId, position, actions }) => {
      this.latestActions = Math.max(this.latestActions, position);
      for (const { userId, threadId, notify, highlight } of actions) {
        const key = keyOf(userId, roomId);
        const entry = this.entries.get(key);
        if (!entry) continue;
        // A row that does not notify is the sender's own message: their read point moved.
        if (!notify) this.drop(key);
        else if (entry.filling) entry.filling.actions.push({ position, threadId, highlight });
        else add(entry, position, threadId, highlight);
      }
    });
    events.on('receipt', ({ roomId, userId }) => this.drop(keyOf(userId, roomId)));
    events.on('unreadChanged', ({ roomId }) => {
      for (const key of [...this.entries.keys()]) if (key.endsWith(`\u0000${roomId}`)) this.drop(key);
    });
  }

  /** Counts for each of `roomIds`, as of the events stream position `upTo` (so they match the timeline sent). */
  async counts(userId: string, roomIds: readonly string[], upTo: number, perThread: boolean): Promise<Map<string, RoomUnreadCounts>> {
    const result = new Map<string, RoomUnreadCounts>();
    const toRead: string[] = [];
    for (const roomId of roomIds) {
      const entry = this.entries.get(keyOf(userId, roomId));
      if (entry && !entry.filling && entry.asOf <= upTo) result.set(roomId, roomCounts(entry.threads, perThread));
      else toRead.push(roomId);
    }
    if (toRead.length === 0) return result;

    // Entries are filled only for rooms without one (a newer entry than `upTo` is left as it is), and
    // only if no push action came after `upTo`: the read stops there, and that action would be lost.
    const filling = new Map<string, Entry>();
    for (const roomId of this.latestActions <= upTo ? toRead : []) {
      const key = keyOf(userId, roomId);
      if (this.entries.has(key)) continue;
      const entry: Entry = { asOf: upTo, threads: new Map(), filling: { actions: [], dropped: false } };
      this.entries.set(key, entry);
      filling.set(roomId, entry);
    }
    let rows: UnreadCount[];
    try {
      rows = await this.storage.eventPushActions.unreadCounts(userId, toRead, upTo);
    } catch (error) {
      for (const roomId of filling.keys()) this.entries.delete(keyOf(userId, roomId));
      throw error;
    }
    const threadsByRoom = new Map<string, Entry['threads']>(toRead.map((roomId) => [roomId, new Map()]));
    for (const row of rows) threadsByRoom.get(row.roomId)?.set(row.threadId, { notificationCount: row.notificationCount, highlightCount: row.highlightCount });
    for (const [roomId, threads] of threadsByRoom) {
      result.set(roomId, roomCounts(threads, perThread));
      const entry = filling.get(roomId);
      if (!entry) continue;
      const key = keyOf(userId, roomId);
      // Dropped or evicted while reading: the next sync reads again.
      if (entry.filling!.dropped || this.entries.peek(key) !== entry) continue;
      for (const [threadId, counts] of threads) entry.threads.set(threadId, { ...counts });
      for (const action of entry.filling!.actions) add(entry, action.position, action.threadId, action.highlight);
      delete entry.filling;
    }
    return result;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.filling) entry.filling.dropped = true;
    this.entries.delete(key);
  }
}

function add(entry: Entry, position: number, threadId: string | null, highlight: boolean): void {
  if (position <= entry.asOf) return;
  const counts = entry.threads.get(threadId) ?? { notificationCount: 0, highlightCount: 0 };
  counts.notificationCount++;
  if (highlight) counts.highlightCount++;
  entry.threads.set(threadId, counts);
  entry.asOf = position;
}

function roomCounts(threads: Entry['threads'], perThread: boolean): RoomUnreadCounts {
  const room: RoomUnreadCounts = { unread_notifications: { notification_count: 0, highlight_count: 0 } };
  for (const [threadId, { notificationCount, highlightCount }] of threads) {
    if (perThread && threadId !== null) {
      (room.unread_thread_notifications ??= {})[threadId] = { notification_count: notificationCount, highlight_count: highlightCount };
    } else {
      room.unread_notifications.notification_count += notificationCount;
      room.unread_notifications.highlight_count += highlightCount;
    }
  }
  return room;
}
