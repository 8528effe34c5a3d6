/**
 * Knocks of local users on rooms this server is not in (server-server-api "Knocking upon a room", the
 * knocking server's side). The knock goes through RemoteMembership; since this server holds none of
 * the room, it is kept as the user's membership in a room this server is not in
 * (RemoteRoomMemberships) with the stripped state the resident answered with, so their /sync shows
 * the room under `knock`. "Servers can retract knocks over federation by leaving the room": the leave
 * goes through a resident server the same way, and the retraction is reported under `leave`.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import { serverNameOf, type EventId, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { RemoteRoomMemberships } from '../remote-room-memberships.ts';
import type { RemoteMembership } from './remote-membership.ts';

export class RemoteKnocks {
  constructor(
    private readonly memberships: RemoteRoomMemberships,
    private readonly remote: RemoteMembership,
  ) {}

  /** Knocks on a room this server is not in, through `servers`. */
  async knock(userId: string, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<EventId> {
    const { event, rules, knockState } = await this.remote.knock(userId, roomId, servers, content);
    await this.memberships.record(event, rules.id, 'knock', knockState);
    return event.eventId;
  }

  /**
   * Retracts the user's knock on a room this server is not in: false when there is none to retract.
   * The leave goes to the servers that sent the room's stripped state (residents when the knock was
   * made) and the one named in the room ID.
   */
  async retract(userId: string, roomId: RoomId, content: JsonObject): Promise<boolean> {
    const knock = await this.memberships.of(userId, roomId);
    if (knock?.membership !== 'knock') return false;
    const ids = [...knock.strippedState.map((json) => json.sender), roomId].filter((id): id is string => typeof id === 'string');
    const servers = ids.flatMap((id) => serverNameOf(id as UserId) ?? []);
    const left = await this.remote.leave(userId, roomId, servers, content);
    await this.memberships.record(left.event, left.rules.id, 'leave', knock.strippedState);
    return true;
  }
}
