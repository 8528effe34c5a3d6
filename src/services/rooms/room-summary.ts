/**
 * Room summaries (client-server-api "Room Summaries", data/api/client-server/room_summary.yaml, and
 * definitions/room_summary.yaml): what a room is, read from its current state, and who may see it. The
 * space hierarchy describes its rooms with the same summaries. A room this server is not in is
 * described by a server of the client's `via`, through that server's federation /hierarchy.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { restrictedJoinRooms } from '../../core/auth/restricted-join.ts';
import type { AuthState } from '../../core/auth/check-event-auth.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf } from '../../core/events/pdu.ts';
import { isServerName } from '../../core/ids/server-name.ts';
import { serverNameOf, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import type { EventStore } from './event-store.ts';
import type { Membership, RoomStates } from './room-states.ts';

/** definitions/room_summary.yaml. */
export type RoomSummary = JsonObject & {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule?: string;
  allowed_room_ids?: string[];
};

/** How another server describes a room (its federation /hierarchy answer, the room itself). */
export interface RemoteRoomDescriptions {
  hierarchy(roomId: string, servers: readonly string[], suggestedOnly: boolean): Promise<{ room: JsonObject & { room_id: string } } | undefined>;
}

/** Memberships of local users in rooms this server is not in: pending invites and knocks. */
export interface OutstandingMemberships {
  forUser(userId: string): Promise<ReadonlyArray<{ roomId: string; membership: string }>>;
}

/** Join rules that let anyone see the room (client-server-api "GET /hierarchy", room_summary.yaml). */
const openJoinRules = ['public', 'knock', 'knock_restricted'];
const summaryTypes = ['m.room.create', 'm.room.name', 'm.room.topic', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.join_rules', 'm.room.history_visibility', 'm.room.guest_access', 'm.room.encryption'];

export class RoomSummaries {
  constructor(
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly serverName: string,
    private readonly remote?: { rooms: RemoteRoomDescriptions; outstanding: readonly OutstandingMemberships[] },
  ) {}

  /** A room this server knows, summarised from its current state. */
  async summarise(roomId: RoomId): Promise<RoomSummary> {
    const { state } = await this.roomStates.currentState(roomId);
    const events = await this.roomStates.events(state, summaryTypes.map((type) => stateKeyOf(type, '')));
    const content = (type: string) => events.get(stateKeyOf(type, ''))?.content ?? {};
    const rules = await this.eventStore.roomRules(roomId);
    const joinRule = content('m.room.join_rules').join_rule;
    const summary: RoomSummary = {
      room_id: roomId,
      num_joined_members: (await this.roomStates.joinedMembers(roomId)).size,
      world_readable: content('m.room.history_visibility').history_visibility === 'world_readable',
      guest_can_join: content('m.room.guest_access').guest_access === 'can_join',
      join_rule: typeof joinRule === 'string' ? joinRule : 'invite',
      room_version: rules.id,
    };
    const optional: Record<string, unknown> = {
      name: content('m.room.name').name,
      topic: content('m.room.topic').topic,
      avatar_url: content('m.room.avatar').url,
      canonical_alias: content('m.room.canonical_alias').alias,
      room_type: content('m.room.create').type,
      encryption: content('m.room.encryption').algorithm,
    };
    for (const [key, value] of Object.entries(optional)) if (typeof value === 'string') summary[key] = value;
    const allowed = restrictedJoinRooms(events as AuthState, rules);
    if (allowed && allowed.length > 0) summary.allowed_room_ids = allowed;
    return summary;
  }

  /**
   * client-server-api "GET /hierarchy" and room_summary.yaml: anyone sees a world-readable room or one
   * they may join or knock on without an invite; a user also sees rooms they are in, invited to or
   * knocking on, and restricted rooms whose allowed rooms they are in. Unauthenticated (no `userId`):
   * only the first kind.
   */
  async userMaySee(userId: string | undefined, summary: RoomSummary, membership?: Membership): Promise<boolean> {
    if (summary.world_readable === true || openJoinRules.includes(String(summary.join_rule))) return true;
    if (userId === undefined) return false;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') return true;
    for (const allowedRoom of summary.allowed_room_ids ?? []) {
      if ((await this.roomStates.membership(allowedRoom as RoomId, userId).catch(() => undefined)) === 'join') return true;
    }
    return false;
  }

  /**
   * GET /v1/room_summary/{roomIdOrAlias}: the summary with the requester's membership (`leave` when
   * they have none; absent when unauthenticated). A room this server is not joined to is asked of
   * `via`; a room nobody describes, or the requester may not see, is M_NOT_FOUND.
   */
  async forClient(userId: string | undefined, roomId: RoomId, via: readonly string[]): Promise<RoomSummary & { membership?: string }> {
    const known = await this.known(roomId);
    let summary = known && (await this.hostInRoom(roomId)) ? await this.summarise(roomId) : await this.describedRemotely(roomId, via);
    if (!summary && known) summary = await this.summarise(roomId);
    const membership = userId === undefined ? undefined : await this.membershipOf(userId, roomId, known);
    if (!summary || !(await this.userMaySee(userId, summary, membership))) throw new MatrixError('M_NOT_FOUND', 'Room not found');
    return userId === undefined ? summary : { ...summary, membership: membership ?? 'leave' };
  }

  /** Whether this server holds the room (it has or had a member here). */
  async known(roomId: string): Promise<boolean> {
    return this.eventStore.roomRules(roomId).then(
      () => true,
      () => false,
    );
  }

  private async hostInRoom(roomId: RoomId): Promise<boolean> {
    return [...(await this.roomStates.joinedMembers(roomId))].some((member) => serverNameOf(member as UserId) === this.serverName);
  }

  private async membershipOf(userId: string, roomId: RoomId, known: boolean): Promise<Membership | undefined> {
    const local = known ? await this.roomStates.membership(roomId, userId) : undefined;
    if (local !== undefined) return local;
    for (const outstanding of this.remote?.outstanding ?? []) {
      const found = (await outstanding.forUser(userId)).find((candidate) => candidate.roomId === roomId);
      if (found && (found.membership === 'invite' || found.membership === 'knock')) return found.membership;
    }
    return undefined;
  }

  /** The room as a server of `via` (or of its room ID) describes it, checked for shape. */
  private async describedRemotely(roomId: RoomId, via: readonly string[]): Promise<RoomSummary | undefined> {
    const servers = [...new Set([...via, ...(serverNameOf(roomId) ? [serverNameOf(roomId)!] : [])])].filter((server) => server !== this.serverName && isServerName(server));
    if (!this.remote || servers.length === 0) return undefined;
    const answer = await this.remote.rooms.hierarchy(roomId, servers, false).catch(() => undefined);
    return answer && answer.room.room_id === roomId ? fromRemote(answer.room) : undefined;
  }
}

/** The fields of definitions/room_summary.yaml another server sent, each of the right type; never relayed blindly. */
function fromRemote(room: JsonObject & { room_id: string }): RoomSummary | undefined {
  if (typeof room.num_joined_members !== 'number') return undefined;
  const summary: RoomSummary = {
    room_id: room.room_id,
    num_joined_members: room.num_joined_members,
    world_readable: room.world_readable === true,
    guest_can_join: room.guest_can_join === true,
  };
  for (const key of ['join_rule', 'name', 'topic', 'avatar_url', 'canonical_alias', 'room_type', 'encryption', 'room_version']) {
    if (typeof room[key] === 'string') summary[key] = room[key];
  }
  if (Array.isArray(room.allowed_room_ids)) summary.allowed_room_ids = room.allowed_room_ids.filter((id): id is string => typeof id === 'string');
  return summary;
}

