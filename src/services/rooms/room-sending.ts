/**
 * Sending events into a room (client-server-api "Sending events to a room", "Redactions"): message
 * events with transaction-ID idempotency per device, state events, and redactions. The auth rules in
 * the timeline decide who may send what; this layer refuses what the client API forbids beyond them.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { isRoomAlias, parseEventId, serverNameOf, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientTransactions } from '../client-transactions.ts';
import type { EventStore } from './event-store.ts';
import type { RoomPermissions } from './room-permissions.ts';
import type { Relations } from './relations.ts';
import type { RoomStates } from './room-states.ts';
import type { AppendedEvent, Timeline } from './timeline.ts';

/** Membership changes have their own endpoints, which check what the state endpoint cannot. */
const stateTypesWithOwnEndpoints = new Set(['m.room.member']);

export class RoomSending {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly timeline: Timeline,
    private readonly roomStates: RoomStates,
    private readonly eventStore: EventStore,
    private readonly permissions: RoomPermissions,
    private readonly transactions: ClientTransactions,
    /** Checks the relations users send (threads, annotations). */
    private readonly relations?: Pick<Relations, 'checkNewRelation'>,
  ) {}

  async sendMessage(requester: Requester, roomId: RoomId, type: string, content: JsonObject, txnId: string): Promise<{ event_id: string }> {
    await this.requireJoined(requester, roomId);
    const key = { userId: requester.userId, deviceId: requester.deviceId, endpoint: `send:${roomId}`, txnId };
    return this.transactions.onceSent(key, async () => {
      await this.relations?.checkNewRelation(roomId, requester.userId, type, content);
      const appended = await this.timeline.append({ roomId, type, sender: requester.userId as UserId, content, transaction: key });
      return { event_id: appended.event.eventId };
    });
  }

  async sendState(requester: Requester, roomId: RoomId, type: string, stateKey: string, content: JsonObject): Promise<{ event_id: string }> {
    await this.requireJoined(requester, roomId);
    if (stateTypesWithOwnEndpoints.has(type) && stateKey !== requester.userId) {
      throw new MatrixError('M_FORBIDDEN', 'Use the membership endpoints to change other users’ membership');
    }
    // Setting the same content again sends nothing (Synapse returns the existing event's ID).
    const existing = await this.roomStates.currentEvent(roomId, type, stateKey);
    if (existing && existing.sender === requester.userId && JSON.stringify(existing.content) === JSON.stringify(content)) return { event_id: existing.eventId };
    if (type === 'm.room.canonical_alias') await this.checkCanonicalAlias(roomId, content);
    const { event } = await this.timeline.append({ roomId, type, stateKey, sender: requester.userId as UserId, content });
    return { event_id: event.eventId };
  }

  async redact(requester: Requester, roomId: RoomId, eventId: string, txnId: string, reason?: string): Promise<{ event_id: string }> {
    const redacts = parseEventId(eventId);
    await this.requireJoined(requester, roomId);
    const target = await this.eventStore.localEvent(redacts);
    if (!target || target.event.roomId !== roomId) throw new MatrixError('M_NOT_FOUND', 'Event not found');
    // client-server-api "Redactions": senders may redact their own events; others need the redact level.
    if (target.event.sender !== requester.userId && !(await this.permissions.canRedactOthers(requester.userId, roomId))) {
      throw new MatrixError('M_FORBIDDEN', 'You may not redact other users’ events');
    }
    const key = { userId: requester.userId, deviceId: requester.deviceId, endpoint: `redact:${roomId}`, txnId };
    return this.transactions.onceSent(key, async () => {
      const content: JsonObject = reason === undefined ? {} : { reason };
      const appended: AppendedEvent = await this.timeline.append({ roomId, type: 'm.room.redaction', sender: requester.userId as UserId, content, redacts, transaction: key });
      return { event_id: appended.event.eventId };
    });
  }

  private async requireJoined(requester: Requester, roomId: RoomId): Promise<void> {
    await this.eventStore.roomRules(roomId).catch(() => {
      throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
    });
    if ((await this.roomStates.membership(roomId, requester.userId)) !== 'join') throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
  }

  /** client-server-api "m.room.canonical_alias": local aliases must exist and point to this room. */
  private async checkCanonicalAlias(roomId: RoomId, content: JsonObject): Promise<void> {
    const aliases = [content.alias, ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : [])].filter((alias) => alias !== undefined);
    for (const alias of aliases) {
      if (typeof alias !== 'string' || !isRoomAlias(alias)) throw new MatrixError('M_INVALID_PARAM', `Invalid room alias ${JSON.stringify(alias)}`);
      if (serverNameOf(alias) !== this.serverName) continue;
      const record = await this.storage.roomAliases.get(alias);
      if (record?.roomId !== roomId) throw new MatrixError('M_BAD_ALIAS', `${alias} does not point to this room`);
    }
  }
}
