/**
 * Server notices (client-server-api "Server Notices", Synapse's server_notices): messages from the
 * server to one of its users, e.g. that a quota is exceeded, in a room only the system user and that
 * user share. Off unless `server_notices` is configured.
 *
 * As the spec's "Server behaviour" asks: exactly one notices room per user (remembered in
 * server_notice_rooms; a new one is made when the user left the old one), tagged `m.server_notice`
 * for the user, who is invited rather than joined, and cannot reject that invite
 * (M_CANNOT_LEAVE_SERVER_NOTICE_ROOM). As in Synapse the room gives users_default -10, so the user
 * reads notices but cannot write there; the system user is a local account without a password,
 * created on first use, whose name and avatar follow the configuration.
 *
 * Other services send notices with notify(userId, content); usageLimitNotice builds the content of
 * a usage limit notice.
 */
import type { JsonObject } from '../core/canonical-json.ts';
import { MatrixError } from '../core/errors.ts';
import { parseUserId, serverNameOf, type RoomId, type UserId } from '../core/ids/identifiers.ts';
import { lru } from '../util/lru.ts';
import type { Storage } from '../storage/storage.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';
import type { AccountData } from './account-data/account-data.ts';
import type { Accounts, Requester } from './accounts/accounts.ts';
import type { Membership } from './rooms/membership.ts';
import type { RoomCreation } from './rooms/room-creation.ts';
import type { RoomStates } from './rooms/room-states.ts';
import type { Timeline } from './rooms/timeline.ts';

export interface ServerNoticesSettings {
  systemLocalpart: string;
  /** admin_contact, or the server's public base URL. */
  adminContact: string;
  systemDisplayName?: string;
  systemAvatarUrl?: string;
  roomName: string;
}

export const serverNoticeTag = 'm.server_notice';

/** client-server-api "Server Notices": the content of an `m.server_notice.usage_limit_reached` notice. */
export function usageLimitNotice(body: string, limitType: string, adminContact: string): JsonObject {
  return { msgtype: 'm.server_notice', body, server_notice_type: 'm.server_notice.usage_limit_reached', limit_type: limitType, admin_contact: adminContact };
}

export class ServerNotices {
  /** One notice at a time per user, so concurrent notices share one new room. */
  private readonly perUser = new KeyedMutex();
  /** Usage limit notices sent in the last day, by user and limit type. */
  private readonly limitsNoticed = lru<string, true>(100_000, { ttl: 24 * 3_600_000 });
  private systemUser: Promise<Requester> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly services: { accounts: Accounts; roomCreation: RoomCreation; membership: Membership; roomStates: RoomStates; timeline: Timeline; accountData: AccountData },
    private readonly serverName: string,
    /** Unset: server notices are off. */
    private readonly settings: ServerNoticesSettings | undefined,
  ) {}

  /** The system user's ID, when server notices are on. */
  get systemUserId(): string | undefined {
    return this.settings && `@${this.settings.systemLocalpart}:${this.serverName}`;
  }

  /**
   * Tells a user they reached a usage limit (client-server-api "Server Notices",
   * m.server_notice.usage_limit_reached; `limitType` such as "storage"), at most once a day per user
   * and limit, so a client retrying does not flood them; nothing when notices are off.
   */
  async usageLimitReached(userId: string, limitType: string, body: string): Promise<void> {
    if (!this.settings) return;
    const key = `${userId}\u0000${limitType}`;
    if (this.limitsNoticed.has(key)) return;
    this.limitsNoticed.set(key, true);
    await this.notify(userId, usageLimitNotice(body, limitType, this.settings.adminContact));
  }

  /** Sends `content` as an m.room.message to the local user in their notices room; returns its event ID. */
  async notify(userId: string, content: JsonObject): Promise<{ event_id: string }> {
    if (!this.settings) throw new MatrixError('M_UNKNOWN', 'Server notices are not enabled on this server', { status: 400 });
    const target = parseUserId(userId, { historical: true });
    if (serverNameOf(target) !== this.serverName) throw new MatrixError('M_INVALID_PARAM', 'Server notices can only be sent to local users');
    const account = await this.storage.users.get(target);
    if (!account || account.deactivatedTs !== null) throw new MatrixError('M_NOT_FOUND', 'Unknown user');
    return this.perUser.run(target, async () => {
      const system = await this.system();
      const roomId = await this.roomFor(target, system);
      const { event } = await this.services.timeline.append({ roomId, type: 'm.room.message', sender: system.userId as UserId, content });
      return { event_id: event.eventId };
    });
  }

  /** "Client behaviour": rejecting the invite to one's notices room is refused (leaving after joining is not). */
  async checkLeave(requester: Requester, roomId: RoomId): Promise<void> {
    if (!this.settings || (await this.storage.serverNoticeRooms.roomOf(requester.userId)) !== roomId) return;
    if ((await this.services.roomStates.membership(roomId, requester.userId)) === 'invite') {
      throw new MatrixError('M_CANNOT_LEAVE_SERVER_NOTICE_ROOM', 'You cannot reject this invite');
    }
  }

  /** The user's notices room: the one they are still in or invited to, else a new one. */
  private async roomFor(userId: UserId, system: Requester): Promise<RoomId> {
    const { membership, roomStates, roomCreation, accountData } = this.services;
    const known = (await this.storage.serverNoticeRooms.roomOf(userId)) as RoomId | undefined;
    if (known && (await roomStates.membership(known, system.userId)) === 'join' && ['join', 'invite'].includes((await roomStates.membership(known, userId)) ?? '')) return known;
    const roomId = await roomCreation.createRoom(system, { preset: 'private_chat', name: this.settings!.roomName, powerLevelContentOverride: { users_default: -10 } });
    await this.storage.serverNoticeRooms.set(userId, roomId);
    // The tag is the user's room account data; the server sets it on their behalf.
    await accountData.setTag(asUser(userId), userId, roomId, serverNoticeTag, {});
    await membership.invite(system, roomId, userId);
    return roomId;
  }

  /** The system user, registered on first use (without a password: nobody logs in as it), its profile as configured. */
  private system(): Promise<Requester> {
    this.systemUser ??= this.prepareSystemUser().catch((error: unknown) => {
      this.systemUser = undefined;
      throw error;
    });
    return this.systemUser;
  }

  private async prepareSystemUser(): Promise<Requester> {
    const settings = this.settings!;
    const userId = this.systemUserId!;
    if (!(await this.storage.users.exists(userId))) await this.services.accounts.register({ localpart: settings.systemLocalpart, inhibitLogin: true });
    const profile = await this.storage.profiles.get(userId);
    let changed = false;
    for (const [field, wanted] of [['displayname', settings.systemDisplayName], ['avatar_url', settings.systemAvatarUrl]] as const) {
      if (profile[field] === wanted) continue;
      changed = true;
      if (wanted === undefined) await this.storage.profiles.delete(userId, field);
      else await this.storage.profiles.set(userId, field, wanted);
    }
    // The configuration changed since the notices rooms were made: their member events follow it.
    if (changed) await this.services.membership.refreshProfile(userId);
    return asUser(userId);
  }
}

/** Acting for a user on the server's own initiative (no device, no access token). */
function asUser(userId: string): Requester {
  return { userId, deviceId: '', tokenId: 0, isAdmin: false };
}
