/**
 * Delivers notifications to HTTP pushers (client-server-api "Push Notifications: Server behaviour":
 * processing push rules "may result in ... making a request to the configured push gateway"). One
 * PusherQueue per pusher of kind http, loaded at start and kept up to date from the `pusher` events;
 * committed push actions wake the queues of the users they notify, and a user's receipts their badge
 * updates. Pushers of kind email are not delivered.
 *
 * What a notification says is read when it is sent: the event, and the sender's display name, the room's
 * name and canonical alias from the state after the event.
 */
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import { badgeNotification, eventNotification, type GatewayDevice, type NotificationContext } from '../../core/push/gateway-notification.ts';
import type { NotificationRecord } from '../../storage/repositories/event-push-actions.ts';
import type { PusherKey, PusherRecord } from '../../storage/repositories/pushers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { EventStore } from '../rooms/event-store.ts';
import type { RoomStates } from '../rooms/room-states.ts';
import type { ServerEvents } from '../server-events.ts';
import type { PushGatewayClient } from './push-gateway-client.ts';
import { PusherQueue, type PushFailureOutcome, type PusherQueueContext } from './pusher-queue.ts';

const nameKey = stateKeyOf('m.room.name', '');
const aliasKey = stateKeyOf('m.room.canonical_alias', '');

/** A failure to report; 'pusher not reloaded': a pusher's change is not followed until the next start. */
export type PushFailureReporter = (pusher: PusherKey, error: unknown, outcome: PushFailureOutcome | 'pusher not reloaded') => void;

const keyOf = ({ userId, appId, pushkey }: PusherKey) => JSON.stringify([userId, appId, pushkey]);

export class PushDelivery {
  /** Per user, their pushers' queues by pusher key. */
  private readonly queues = new Map<string, Map<string, PusherQueue>>();
  /** Per pusher key, bumped on each change, so that of two reloads racing only the later one starts a queue. */
  private readonly generations = new Map<string, number>();
  /** The highest position of push actions committed: queues read up to it. */
  private latestPosition = 0;
  private stopped = false;
  private readonly context: PusherQueueContext;

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly events: ServerEvents,
    private readonly client: PushGatewayClient,
    clock: () => number,
    private readonly onFailure: PushFailureReporter,
  ) {
    this.context = {
      clock,
      onFailure,
      pending: (pusher, after, upTo, limit) => storage.eventPushActions.notificationsBetween(pusher.userId, after, upTo, limit),
      notificationBody: (pusher, notification) => this.notificationBody(pusher, notification),
      badgeBody: async (pusher) => {
        const unread = await this.unreadCount(pusher.userId);
        return { body: badgeNotification(deviceOf(pusher), { unread }), unread };
      },
      send: (url, body, signal) => client.notify(url, body, signal),
      recordProgress: (key, progress) => storage.pushers.recordProgress(key, progress),
      setFailingSince: (key, since) => storage.pushers.setFailingSince(key, since),
      rejected: async (key) => {
        await storage.pushers.delete(key.userId, key.appId, key.pushkey);
        events.emit('pusher', { userId: key.userId, appId: key.appId, pushkey: key.pushkey });
      },
    };
  }

  /** Loads the HTTP pushers and resumes each where its delivery stood. */
  async start(): Promise<void> {
    this.events.on('pushActions', ({ position, actions }) => {
      this.latestPosition = Math.max(this.latestPosition, position);
      for (const { userId, notify } of actions) if (notify) this.queues.get(userId)?.forEach((queue) => queue.notifyUpTo(position));
    });
    this.events.on('receipt', ({ userId }) => this.queues.get(userId)?.forEach((queue) => queue.updateBadge()));
    this.events.on('pusher', (key) =>
      this.reload(key).catch((error: unknown) => {
        if (!this.stopped) this.onFailure(key, error, 'pusher not reloaded');
      }),
    );
    this.latestPosition = Math.max(this.latestPosition, await this.storage.streamCounters.currentPosition('events'));
    for (const pusher of await this.storage.pushers.ofKind('http')) this.startQueue(pusher);
  }

  stop(): void {
    this.stopped = true;
    for (const queues of this.queues.values()) for (const queue of queues.values()) queue.stop();
    this.queues.clear();
    this.client.close();
  }

  /** A pusher was set or removed: its queue (if any) stops, and a new one starts from the stored pusher. */
  private async reload(key: PusherKey): Promise<void> {
    const id = keyOf(key);
    const generation = (this.generations.get(id) ?? 0) + 1;
    this.generations.set(id, generation);
    const userQueues = this.queues.get(key.userId);
    userQueues?.get(id)?.stop();
    userQueues?.delete(id);
    if (userQueues?.size === 0) this.queues.delete(key.userId);
    const pusher = await this.storage.pushers.get(key);
    if (this.generations.get(id) === generation) this.generations.delete(id);
    else return;
    if (pusher?.kind === 'http' && !this.stopped) this.startQueue(pusher);
  }

  private startQueue(pusher: PusherRecord): void {
    const queue = new PusherQueue(pusher, this.context, this.latestPosition);
    const userQueues = this.queues.get(pusher.userId) ?? new Map<string, PusherQueue>();
    userQueues.get(keyOf(pusher))?.stop();
    userQueues.set(keyOf(pusher), queue);
    this.queues.set(pusher.userId, userQueues);
    queue.wake();
  }

  private async notificationBody(pusher: PusherRecord, notification: NotificationRecord) {
    const local = await this.eventStore.localEvent(notification.eventId);
    if (!local) return undefined;
    const { event } = local;
    const unread = await this.unreadCount(pusher.userId);
    const body = eventNotification({
      event: { eventId: event.eventId, roomId: event.roomId, type: event.type, sender: event.sender, stateKey: event.stateKey, content: event.content },
      userId: pusher.userId,
      actions: notification.actions,
      counts: { unread },
      device: deviceOf(pusher),
      context: pusher.data.format === 'event_id_only' ? {} : await this.contextOf(event, local.stateAfterGroup),
    });
    return { body, unread };
  }

  /** The sender's display name, the room's name and alias, as of the state after the event. */
  private async contextOf(event: RoomEvent, stateAfterGroup: number | null): Promise<NotificationContext> {
    const state = stateAfterGroup === null ? (await this.roomStates.currentState(event.roomId)).state : await this.roomStates.stateOfGroup(stateAfterGroup);
    const senderKey = stateKeyOf('m.room.member', event.sender);
    const found = await this.roomStates.events(state, [senderKey, nameKey, aliasKey]);
    const text = (key: StateKey, field: string) => {
      const value = found.get(key)?.content[field];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    return { senderDisplayName: text(senderKey, 'displayname'), roomName: text(nameKey, 'name'), roomAlias: text(aliasKey, 'alias') };
  }

  /**
   * "unread": "The number of unread messages a user has across all of the rooms they are a member of",
   * counting rooms they are invited to (where the invite is what notified them), as Synapse does.
   */
  private async unreadCount(userId: string): Promise<number> {
    const rooms = [...(await this.roomStates.roomsOfUser(userId))].filter(([, membership]) => membership === 'join' || membership === 'invite').map(([roomId]) => roomId);
    const counts = await this.storage.eventPushActions.unreadCounts(userId, rooms, Number.MAX_SAFE_INTEGER);
    return counts.reduce((sum, count) => sum + count.notificationCount, 0);
  }
}

function deviceOf(pusher: PusherRecord): GatewayDevice {
  return { appId: pusher.appId, pushkey: pusher.pushkey, pushkeyTs: pusher.createdTs, data: pusher.data };
}
