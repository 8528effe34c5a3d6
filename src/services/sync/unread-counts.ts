/**
 * The unread notification counts of a joined room in /sync (sync.yaml "Unread Notification Counts";
 * client-server-api "Receiving notifications"), for all the rooms of a response in one query. Without
 * `unread_thread_notifications` every thread's count goes into the room's; with it, each thread's
 * count is keyed by its root in `unread_thread_notifications` and the room's count is the main
 * timeline's only (threading "Threaded read receipts").
 */
import type { Storage } from '../../storage/storage.ts';

export interface NotificationCounts {
  notification_count: number;
  highlight_count: number;
}

export interface RoomUnreadCounts {
  unread_notifications: NotificationCounts;
  /** Only threads with notifications; absent when none has any. */
  unread_thread_notifications?: Record<string, NotificationCounts>;
}

/** Counts for each of `roomIds`, as of the events stream position `upTo` (so they match the timeline sent). */
export async function unreadCounts(storage: Storage, userId: string, roomIds: readonly string[], upTo: number, perThread: boolean): Promise<Map<string, RoomUnreadCounts>> {
  const result = new Map<string, RoomUnreadCounts>(roomIds.map((roomId) => [roomId, { unread_notifications: { notification_count: 0, highlight_count: 0 } }]));
  if (roomIds.length === 0) return result;
  for (const count of await storage.eventPushActions.unreadCounts(userId, roomIds, upTo)) {
    const room = result.get(count.roomId);
    if (!room) continue;
    if (perThread && count.threadId !== null) {
      (room.unread_thread_notifications ??= {})[count.threadId] = { notification_count: count.notificationCount, highlight_count: count.highlightCount };
    } else {
      room.unread_notifications.notification_count += count.notificationCount;
      room.unread_notifications.highlight_count += count.highlightCount;
    }
  }
  return result;
}
