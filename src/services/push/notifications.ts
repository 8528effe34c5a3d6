/**
 * GET /notifications (client-server-api "Listing Notifications"): the events a user's push rules
 * notified them about, newest first, with the actions and whether the user has read past them. The
 * pagination token is the stream position of the last notification returned.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import type { PushAction } from '../../core/push/push-rule.ts';
import type { EventId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientEvents } from '../rooms/client-events.ts';
import type { EventStore } from '../rooms/event-store.ts';

export interface Notification {
  actions: PushAction[];
  event: JsonObject;
  read: boolean;
  room_id: string;
  ts: number;
}

export interface NotificationsPage {
  notifications: Notification[];
  next_token?: string;
}

export class Notifications {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly clientEvents: ClientEvents,
  ) {}

  /** `before`: the stream position to continue below (a previous next_token). */
  async list(requester: Requester, options: { before?: number; limit: number; onlyHighlight: boolean }): Promise<NotificationsPage> {
    const rows = await this.storage.eventPushActions.notifications(requester.userId, { ...options, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    const locals = await this.eventStore.localEvents(page.map((row) => row.eventId));
    const shown = page.filter((row) => locals.has(row.eventId as EventId));
    const events = await this.clientEvents.format(requester, shown.map((row) => locals.get(row.eventId as EventId)!.event), { omitRoomId: true });
    const notifications = shown.map((row, i) => ({ actions: row.actions, event: events[i]!, read: row.read, room_id: row.roomId, ts: locals.get(row.eventId as EventId)!.event.originServerTs }));
    return rows.length > options.limit ? { notifications, next_token: String(page.at(-1)!.streamPosition) } : { notifications };
  }
}
