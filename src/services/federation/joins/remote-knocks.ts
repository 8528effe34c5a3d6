/**
 * Knocks of local users on rooms this server is not in (server-server-api "Knocking upon a room", the
 * knocking server's side). The knock goes through RemoteMembership; since this server holds none of
 * the room, the knock is kept with the stripped state the resident answered with and numbered on the
 * events stream, so the user's /sync shows the room under `knock` once. "Servers can retract knocks
 * over federation by leaving the room": the leave goes through a resident server the same way, and the
 * retraction is reported under `leave`. Knocks are held in memory per user once read: every /sync of
 * the user asks.
 */
import { LRUCache } from 'lru-cache';
import type { JsonObject } from '../../../core/canonical-json.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../../core/events/pdu.ts';
import { serverNameOf, type EventId, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import { getRoomVersion } from '../../../core/room-versions/known-versions.ts';
import type { RemoteKnock } from '../../../storage/repositories/remote-knocks.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { ServerEvents } from '../../server-events.ts';
import type { RemoteMembership, RemoteMembershipEvent } from './remote-membership.ts';

export class RemoteKnocks {
  private readonly byUser = new LRUCache<string, RemoteKnock[]>({ max: 10_000 });

  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly remote: RemoteMembership,
  ) {}

  /** Knocks on a room this server is not in, through `servers`. */
  async knock(userId: string, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<EventId> {
    const { event, rules, knockState } = await this.remote.knock(userId, roomId, servers, content);
    await this.record({ event, rules }, 'knock', knockState);
    return event.eventId;
  }

  /**
   * Retracts the user's knock on a room this server is not in: false when there is none to retract.
   * The leave goes to the servers that sent the room's stripped state (residents when the knock was
   * made) and the one named in the room ID.
   */
  async retract(userId: string, roomId: RoomId, content: JsonObject): Promise<boolean> {
    const knock = (await this.forUser(userId)).find((candidate) => candidate.roomId === roomId && candidate.membership === 'knock');
    if (!knock) return false;
    const ids = [...knock.knockState.map((json) => json.sender), roomId].filter((id): id is string => typeof id === 'string');
    const servers = ids.flatMap((id) => serverNameOf(id as UserId) ?? []);
    const left = await this.remote.leave(userId, roomId, servers, content);
    await this.record(left, 'leave', knock.knockState);
    return true;
  }

  /** The user's knocks on rooms this server is not in, and retractions (oldest first). */
  async forUser(userId: string): Promise<readonly RemoteKnock[]> {
    let knocks = this.byUser.get(userId);
    if (!knocks) this.byUser.set(userId, (knocks = await this.storage.remoteKnocks.forUser(userId)));
    return knocks;
  }

  /** The user joined the room (it is known here now): the knock is done with. */
  async joined(userId: string, roomId: string): Promise<void> {
    await this.storage.remoteKnocks.remove(userId, roomId);
    this.byUser.delete(userId);
  }

  /** The knock (or leave) event as the room version reads it. */
  eventOf(knock: RemoteKnock): RoomEvent {
    return toRoomEvent(knock.event as Pdu, getRoomVersion(knock.roomVersion), knock.eventId as EventId);
  }

  private async record({ event, rules }: Pick<RemoteMembershipEvent, 'event' | 'rules'>, membership: RemoteKnock['membership'], knockState: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    const userId = event.stateKey!;
    const position = await this.storage.transaction(async (tx) => {
      const next = await tx.streamCounters.nextPosition('events');
      await tx.remoteKnocks.put({ userId, roomId: event.roomId, eventId: event.eventId, roomVersion: rules.id, event: event.pdu, knockState: [...knockState], membership, streamPosition: next });
      return next;
    });
    this.byUser.delete(userId);
    this.events.emit('roomEvent', { roomId: event.roomId, eventId: event.eventId, position, userIds: [userId], membershipOf: userId });
  }
}
