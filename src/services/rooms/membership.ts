/**
 * Membership changes of local users (client-server-api "Room membership"): join, invite, leave, kick,
 * ban, unban, knock and forget. Each is one m.room.member event through the timeline, so the
 * authorization rules decide; this layer only shapes the event and gives clear errors first.
 */
import type { UpgradedRoomSettings } from './upgraded-room-settings.ts';
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { parseUserId, serverNameOf, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import type { OutgoingInvites } from '../federation/invites/outgoing-invites.ts';
import type { RemoteInvites } from '../federation/invites/remote-invites.ts';
import type { RemoteJoiner } from '../federation/joins/remote-join.ts';
import type { RemoteMembership } from '../federation/joins/remote-membership.ts';
import type { RemoteRoomMemberships } from '../federation/remote-room-memberships.ts';
import type { RemoteKnocks } from '../federation/joins/remote-knocks.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { RestrictedJoins } from './restricted-joins.ts';
import type { RoomStates } from './room-states.ts';
import type { AppendedEvent, EventDraft, Timeline } from './timeline.ts';

export class Membership {
  constructor(
    private readonly storage: Storage,
    private readonly timeline: Timeline,
    private readonly roomStates: RoomStates,
    /** Membership in rooms on other servers and of their users; without it, local rooms and users only. */
    private readonly federation?: { serverName: string; joiner: RemoteJoiner; invites: RemoteInvites; outgoingInvites: OutgoingInvites; knocks?: RemoteKnocks; remoteMembership?: RemoteMembership; remoteRoomMemberships?: RemoteRoomMemberships },
    private readonly restrictedJoins?: RestrictedJoins,
    /** Carries a user's settings over to a room that replaced one they had (room upgrades). */
    private readonly upgradedRoomSettings?: UpgradedRoomSettings,
  ) {}

  /**
   * Joins the room; a room this server is not in is joined over federation through `servers`
   * (server-server-api "Joining Rooms"), plus the server named in the room ID where it names one.
   */
  async join(requester: Requester, roomId: RoomId, reason?: string, servers: readonly string[] = []): Promise<void> {
    if (!(await this.storage.roomEvents.room(roomId))) {
      const invitedThrough = this.federation ? await this.federation.invites.serversFor(requester.userId, roomId) : [];
      const via = [...servers, ...invitedThrough, ...(serverNameOf(roomId) ? [serverNameOf(roomId)!] : [])];
      if (!this.federation || via.length === 0) throw new MatrixError('M_NOT_FOUND', 'No known room with that ID');
      const content = { ...(await this.profileContent(requester.userId)), ...(reason ? { reason } : {}) };
      await this.federation.joiner.join(requester.userId, roomId, via, content);
      await this.federation.remoteRoomMemberships?.joined(requester.userId, roomId);
      await this.storage.roomEvents.unforget(requester.userId, roomId);
      await this.upgradedRoomSettings?.copyOnJoin(requester.userId, roomId);
      return;
    }
    const current = await this.roomStates.membership(roomId, requester.userId);
    if (current === 'ban') throw new MatrixError('M_FORBIDDEN', 'You are banned from this room');
    // A restricted room: a member of an allowed room joins, vouched for by a member who may invite.
    const via = await this.restrictedJoins?.authoriser(roomId, requester.userId);
    const content = { ...(await this.profileContent(requester.userId)), membership: 'join', ...(reason ? { reason } : {}), ...(via ? { join_authorised_via_users_server: via } : {}) };
    await this.change(requester.userId as UserId, roomId, requester.userId as UserId, content);
    await this.storage.roomEvents.unforget(requester.userId, roomId);
    if (current !== 'join') await this.upgradedRoomSettings?.copyOnJoin(requester.userId, roomId);
  }

  async invite(requester: Requester, roomId: RoomId, target: string, reason?: string, isDirect = false): Promise<AppendedEvent> {
    const targetId = parseUserId(target);
    await this.requireKnownRoom(roomId);
    const current = await this.roomStates.membership(roomId, targetId);
    if (current === 'join') throw new MatrixError('M_FORBIDDEN', `${targetId} is already in the room`);
    if (current === 'ban') throw new MatrixError('M_FORBIDDEN', `${targetId} is banned from the room`);
    const content = { ...(await this.profileContent(targetId)), membership: 'invite', ...(isDirect ? { is_direct: true } : {}), ...(reason ? { reason } : {}) };
    // server-server-api "Inviting to a room": another server's user is invited with that server's signature.
    const remote = this.federation && serverNameOf(targetId) !== this.federation.serverName ? this.federation.outgoingInvites : undefined;
    return this.change(requester.userId as UserId, roomId, targetId, content, remote && ((event) => remote.cosign(event)));
  }

  async leave(requester: Requester, roomId: RoomId, reason?: string): Promise<AppendedEvent | undefined> {
    // server-server-api "Knocking upon a room": a knock on a room this server is not in is retracted through a resident server.
    const knocks = this.federation?.knocks;
    if (knocks && !(await this.storage.roomEvents.room(roomId)) && (await knocks.retract(requester.userId, roomId, reason ? { reason } : {}))) return undefined;
    // An invite to a room this server is not in is rejected through the inviter's server.
    const federation = this.federation;
    if (federation?.remoteMembership && !(await this.storage.roomEvents.room(roomId)) && (await federation.invites.reject(requester.userId, roomId, reason ? { reason } : {}, federation.remoteMembership))) return undefined;
    await this.requireKnownRoom(roomId);
    const current = await this.roomStates.membership(roomId, requester.userId);
    // Leaving a room one has already left is a no-op (Synapse answers 200 too).
    if (current === undefined || current === 'leave') return undefined;
    if (current === 'ban') throw new MatrixError('M_FORBIDDEN', 'You are banned from this room');
    return this.change(requester.userId as UserId, roomId, requester.userId as UserId, { membership: 'leave', ...(reason ? { reason } : {}) });
  }

  async kick(requester: Requester, roomId: RoomId, target: string, reason?: string): Promise<AppendedEvent> {
    const targetId = parseUserId(target, { historical: true });
    await this.requireKnownRoom(roomId);
    const current = await this.roomStates.membership(roomId, targetId);
    if (current !== 'join' && current !== 'invite' && current !== 'knock') throw new MatrixError('M_FORBIDDEN', `${targetId} is not in the room`);
    return this.change(requester.userId as UserId, roomId, targetId, { membership: 'leave', ...(reason ? { reason } : {}) });
  }

  async ban(requester: Requester, roomId: RoomId, target: string, reason?: string): Promise<AppendedEvent> {
    const targetId = parseUserId(target, { historical: true });
    await this.requireKnownRoom(roomId);
    return this.change(requester.userId as UserId, roomId, targetId, { membership: 'ban', ...(reason ? { reason } : {}) });
  }

  async unban(requester: Requester, roomId: RoomId, target: string, reason?: string): Promise<AppendedEvent> {
    const targetId = parseUserId(target, { historical: true });
    await this.requireKnownRoom(roomId);
    if ((await this.roomStates.membership(roomId, targetId)) !== 'ban') throw new MatrixError('M_FORBIDDEN', `${targetId} is not banned`);
    return this.change(requester.userId as UserId, roomId, targetId, { membership: 'leave', ...(reason ? { reason } : {}) });
  }

  /**
   * Knocks on the room; a room this server is not in is knocked on over federation through `servers`
   * (server-server-api "Knocking upon a room"), plus the server named in the room ID where it names one.
   */
  async knock(requester: Requester, roomId: RoomId, reason?: string, servers: readonly string[] = []): Promise<void> {
    const knocks = this.federation?.knocks;
    if (knocks && !(await this.storage.roomEvents.room(roomId))) {
      const via = [...servers, ...(serverNameOf(roomId) ? [serverNameOf(roomId)!] : [])];
      if (via.length === 0) throw new MatrixError('M_NOT_FOUND', 'No known room with that ID');
      await knocks.knock(requester.userId, roomId, via, { ...(await this.profileContent(requester.userId)), ...(reason ? { reason } : {}) });
      return;
    }
    await this.requireKnownRoom(roomId);
    const current = await this.roomStates.membership(roomId, requester.userId);
    if (current === 'join') throw new MatrixError('M_FORBIDDEN', 'You are already in the room');
    if (current === 'ban') throw new MatrixError('M_FORBIDDEN', 'You are banned from this room');
    const content = { ...(await this.profileContent(requester.userId)), membership: 'knock', ...(reason ? { reason } : {}) };
    await this.change(requester.userId as UserId, roomId, requester.userId as UserId, content);
  }

  /** client-server-api "POST /rooms/{roomId}/forget": only after leaving. */
  async forget(requester: Requester, roomId: RoomId): Promise<void> {
    const current = await this.roomStates.membership(roomId, requester.userId).catch(() => undefined);
    if (current === 'join' || current === 'invite' || current === 'knock') throw new MatrixError('M_UNKNOWN', 'Leave the room before forgetting it', { status: 400 });
    await this.storage.roomEvents.forget(requester.userId, roomId);
  }

  /**
   * client-server-api "PUT /profile/{userId}/displayname": the server updates the user's member event
   * in every room they are joined to. A room that refuses the update does not stop the others.
   */
  async refreshProfile(userId: string): Promise<void> {
    const profile = await this.profileContent(userId);
    for (const roomId of await this.roomStates.joinedRoomsOf(userId)) {
      const member = await this.roomStates.currentEvent(roomId as RoomId, 'm.room.member', userId);
      if (!member) continue;
      const { displayname: _name, avatar_url: _avatar, ...rest } = member.content;
      const content = { ...rest, ...profile, membership: 'join' };
      if (JSON.stringify(content) === JSON.stringify(member.content)) continue;
      await this.change(userId as UserId, roomId as RoomId, userId as UserId, content).catch(() => undefined);
    }
  }

  /** The displayname and avatar_url a member event carries (client-server-api "m.room.member"). */
  async profileContent(userId: string): Promise<JsonObject> {
    const profile = await this.storage.profiles.get(userId);
    const content: JsonObject = {};
    if (typeof profile.displayname === 'string') content.displayname = profile.displayname;
    if (typeof profile.avatar_url === 'string') content.avatar_url = profile.avatar_url;
    return content;
  }

  private change(sender: UserId, roomId: RoomId, target: UserId, content: JsonObject, cosign?: EventDraft['cosign']): Promise<AppendedEvent> {
    return this.timeline.append({ roomId, type: 'm.room.member', stateKey: target, sender, content, cosign });
  }

  private async requireKnownRoom(roomId: RoomId): Promise<void> {
    if (!(await this.storage.roomEvents.room(roomId))) throw new MatrixError('M_NOT_FOUND', 'No known room with that ID');
  }
}
