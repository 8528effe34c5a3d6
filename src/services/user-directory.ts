/**
 * The user directory (client-server-api "User directory"): searching the users the requester shares
 * a room with or who are in public rooms, by user ID or display name, case-insensitively. Local
 * users' names come from their profiles, remote users' from their member events.
 */
import { serverNameOf, type RoomId, type UserId } from '../core/ids/identifiers.ts';
import type { Storage } from '../storage/storage.ts';
import type { Requester } from './accounts/accounts.ts';
import type { RoomStates } from './rooms/room-states.ts';

export interface UserDirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export class UserDirectory {
  constructor(
    private readonly storage: Storage,
    private readonly roomStates: RoomStates,
    private readonly serverName: string,
  ) {}

  async search(requester: Requester, searchTerm: string, limit = 10): Promise<{ results: UserDirectoryResult[]; limited: boolean }> {
    const term = searchTerm.trim().toLowerCase();
    const results: UserDirectoryResult[] = [];
    for (const userId of (await this.storage.roomEvents.visibleUsers(requester.userId)).sort()) {
      const profile = await this.profileOf(userId);
      const matches = userId.toLowerCase().includes(term) || (profile.display_name?.toLowerCase().includes(term) ?? false);
      if (matches) results.push({ user_id: userId, ...profile });
    }
    // Exact and prefix matches of the name first, then the rest in ID order.
    const rank = (result: UserDirectoryResult) => {
      const name = result.display_name?.toLowerCase() ?? '';
      const localpart = result.user_id.slice(1).toLowerCase();
      return name.startsWith(term) || localpart.startsWith(term) ? 0 : 1;
    };
    results.sort((a, b) => rank(a) - rank(b));
    return { results: results.slice(0, limit), limited: results.length > limit };
  }

  private async profileOf(userId: string): Promise<Omit<UserDirectoryResult, 'user_id'>> {
    if (serverNameOf(userId as UserId) === this.serverName) {
      const profile = await this.storage.profiles.get(userId);
      return pick(profile.displayname, profile.avatar_url);
    }
    const [room] = await this.storage.roomEvents.roomsOfUser(userId, ['join']);
    if (!room) return {};
    const member = await this.roomStates.currentEvent(room.roomId as RoomId, 'm.room.member', userId);
    return pick(member?.content.displayname, member?.content.avatar_url);
  }
}

function pick(displayName: unknown, avatarUrl: unknown): Omit<UserDirectoryResult, 'user_id'> {
  return { ...(typeof displayName === 'string' ? { display_name: displayName } : {}), ...(typeof avatarUrl === 'string' ? { avatar_url: avatarUrl } : {}) };
}
