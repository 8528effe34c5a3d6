/**
 * A local user's membership in a room this server is not in: an invite another server sent
 * (server-server-api "Inviting to a room"), a knock made through a resident server ("Knocking upon a
 * room"), or the leave that rejected or retracted one. Since this server holds nothing of the room,
 * the membership event is kept with the stripped state the other server sent and numbered on the
 * events stream, so the user's /sync reports it once (sync/remote-room-membership-sync.ts). Held in
 * memory per user once read: every /sync of the user asks.
 */
import { lru } from '../../util/lru.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../core/events/pdu.ts';
import type { EventId } from '../../core/ids/identifiers.ts';
import { getRoomVersion } from '../../core/room-versions/known-versions.ts';
import type { RemoteRoomMembership } from '../../storage/repositories/remote-room-memberships.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ServerEvents } from '../server-events.ts';

export type { RemoteRoomMembership };

export class RemoteRoomMemberships {
  private readonly byUser = lru<string, RemoteRoomMembership[]>(10_000);

  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
  ) {}

  /** The user's memberships in rooms this server is not in, oldest first. */
  async forUser(userId: string): Promise<readonly RemoteRoomMembership[]> {
    let memberships = this.byUser.get(userId);
    if (!memberships) this.byUser.set(userId, (memberships = await this.storage.remoteRoomMemberships.forUser(userId)));
    return memberships;
  }

  async of(userId: string, roomId: string): Promise<RemoteRoomMembership | undefined> {
    return (await this.forUser(userId)).find((membership) => membership.roomId === roomId);
  }

  /** Records the user's membership event (the newest replaces what was there) and wakes their /sync. */
  async record(event: RoomEvent, roomVersion: string, membership: RemoteRoomMembership['membership'], strippedState: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    const userId = event.stateKey!;
    const position = await this.storage.transaction(async (tx) => {
      const next = await tx.streamCounters.nextPosition('events');
      await tx.remoteRoomMemberships.put({ userId, roomId: event.roomId, eventId: event.eventId, roomVersion, event: event.pdu, strippedState: [...strippedState], membership, streamPosition: next });
      return next;
    });
    this.byUser.delete(userId);
    this.events.emit('roomEvent', { roomId: event.roomId, eventId: event.eventId, position, userIds: [userId], membershipOf: userId });
  }

  /** The user joined the room (it is known here now): the invite or knock is done with. */
  async joined(userId: string, roomId: string): Promise<void> {
    await this.storage.remoteRoomMemberships.remove(userId, roomId);
    this.byUser.delete(userId);
  }

  /** The membership event as the room version reads it. */
  eventOf(membership: RemoteRoomMembership): RoomEvent {
    return toRoomEvent(membership.event as Pdu, getRoomVersion(membership.roomVersion), membership.eventId as EventId);
  }
}
