/**
 * client-server-api "Ignoring Users": the users in a user's `m.ignored_user_list` account data. Their
 * non-state events and their invites are not sent to the user; state events still are, so the room
 * looks the same to everyone. Lists are cached and dropped when the account data changes.
 */
import { lru } from '../../util/lru.ts';
import type { RoomEvent } from '../../core/events/pdu.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ServerEvents } from '../server-events.ts';

export const ignoredUserListType = 'm.ignored_user_list';

export class IgnoredUsers {
  private readonly lists = lru<string, ReadonlySet<string>>(10_000);

  constructor(
    private readonly storage: Storage,
    events: ServerEvents,
  ) {
    events.on('accountData', ({ userId, roomId, type }) => {
      if (roomId === null && type === ignoredUserListType) this.lists.delete(userId);
    });
  }

  async of(userId: string): Promise<ReadonlySet<string>> {
    let list = this.lists.get(userId);
    if (!list) {
      const content = await this.storage.accountData.get(userId, null, ignoredUserListType);
      const ignored = content?.ignored_users;
      list = new Set(typeof ignored === 'object' && ignored !== null && !Array.isArray(ignored) ? Object.keys(ignored) : []);
      this.lists.set(userId, list);
    }
    return list;
  }

  /** The events `userId` is to receive: all but the non-state events of users they ignore. */
  async filter(userId: string, events: readonly RoomEvent[]): Promise<RoomEvent[]> {
    const ignored = await this.of(userId);
    if (ignored.size === 0) return [...events];
    return events.filter((event) => event.stateKey !== undefined || !ignored.has(event.sender));
  }
}
