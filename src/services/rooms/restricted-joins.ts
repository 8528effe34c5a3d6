/**
 * Who vouches for a join to a restricted room (client-server-api "Restricted rooms"; server-server-api
 * "Joining Rooms" for joins through another server): the joiner must be joined to one of the rooms the
 * join rules allow, as this server knows it, and a local member able to invite is named as
 * `join_authorised_via_users_server`.
 */
import { restrictedJoinRooms, authorisingUser } from '../../core/auth/restricted-join.ts';
import type { AuthState } from '../../core/auth/check-event-auth.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf } from '../../core/events/pdu.ts';
import { serverNameOf, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import type { EventStore } from './event-store.ts';
import type { RoomStates } from './room-states.ts';

export class RestrictedJoins {
  constructor(
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly serverName: string,
  ) {}

  /**
   * The local user to name in the join's `join_authorised_via_users_server`; undefined when the room is
   * not restricted or the user needs no one (invited, already joined). M_FORBIDDEN when the user is in
   * none of the allowed rooms, or no local member may invite.
   */
  async authoriser(roomId: RoomId, userId: string): Promise<string | undefined> {
    const rules = await this.eventStore.roomRules(roomId);
    const { state } = await this.roomStates.currentState(roomId);
    const members = [...state.keys()].filter((key) => key.startsWith('m.room.member\u0000')).map((key) => key.slice('m.room.member\u0000'.length));
    const localMembers = members.filter((member) => serverNameOf(member as UserId) === this.serverName);
    const keys = ['m.room.create', 'm.room.power_levels', 'm.room.join_rules'].map((type) => stateKeyOf(type, '')).concat([userId, ...localMembers].map((member) => stateKeyOf('m.room.member', member)));
    const authState = (await this.roomStates.events(state, keys)) as AuthState;
    const allowedRooms = restrictedJoinRooms(authState, rules);
    if (allowedRooms === undefined) return undefined;
    const current = authState.get(stateKeyOf('m.room.member', userId))?.content.membership;
    if (current === 'join' || current === 'invite') return undefined;
    let inAllowedRoom = false;
    for (const allowedRoom of allowedRooms) {
      if ((await this.roomStates.membership(allowedRoom as RoomId, userId).catch(() => undefined)) === 'join') inAllowedRoom = true;
    }
    if (!inAllowedRoom) throw new MatrixError('M_FORBIDDEN', 'You are not a member of a room this room is restricted to');
    const via = authorisingUser(localMembers, authState, rules);
    if (!via) throw new MatrixError('M_UNABLE_TO_AUTHORISE_JOIN', 'No member of this server can authorise the join', { status: 400 });
    return via;
  }
}
