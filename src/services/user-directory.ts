/**
 * The user directory (client-server-api "User directory"): searching, by words of their user ID or
 * display name, the users the searcher shares a room with or who are joined to a public room (join
 * rule public or history world_readable), or with search_all_users every local user and every user
 * in a room here. Deactivated accounts are never listed.
 *
 * Searches read a small index (UserDirectoryRepository) instead of every profile. It is kept:
 * - for local users, from their global profile: at registration (Accounts) and after each change;
 * - for other servers' users, from their latest join event, in the persisting transaction (the
 *   persist hook), and after a local user joins a room (which may have been joined over federation,
 *   its members arriving as state rather than as timeline events) by listing the room's members;
 * - for rooms, whether they are public, from their join rules and history visibility;
 * - and at start, for whatever the index does not hold yet (a database that predates it).
 */
import { lru } from '../util/lru.ts';
import type { JsonObject } from '../core/canonical-json.ts';
import { stateKeyOf, type RoomEvent } from '../core/events/pdu.ts';
import { serverNameOf, type EventId, type RoomId, type UserId } from '../core/ids/identifiers.ts';
import type { DirectoryEntry } from '../storage/repositories/user-directory.ts';
import type { Repositories, Storage } from '../storage/storage.ts';
import type { Requester } from './accounts/accounts.ts';
import type { EventStore } from './rooms/event-store.ts';
import type { RoomStates, StateMap } from './rooms/room-states.ts';
import type { AfterCommit, PersistHook } from './rooms/timeline.ts';

export interface UserDirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export interface UserDirectorySettings {
  serverName: string;
  /** user_directory.enabled: when false, searches find nobody. */
  enabled: boolean;
  /** user_directory.search_all_users. */
  searchAllUsers: boolean;
  /** user_directory.prefer_local_users. */
  preferLocalUsers: boolean;
  /** Users never listed (the server notices user). */
  hidden: readonly string[];
}

const joinRulesKey = stateKeyOf('m.room.join_rules', '');
const historyVisibilityKey = stateKeyOf('m.room.history_visibility', '');

export class UserDirectory {
  /** Rooms whose members were listed since this process started: a local join lists them only the first time. */
  private readonly listedRooms = lru<string, true>(50_000);

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly settings: UserDirectorySettings,
    private readonly onFailure: (error: unknown) => void = () => {},
  ) {}

  /** Give this to the Timeline: it indexes member, join rules and history visibility events as they commit. */
  readonly persistHook: PersistHook = async (tx, events) => {
    const afterCommits: Array<AfterCommit | undefined> = [];
    for (const { appended, stateAfter } of events) afterCommits.push(await this.index(tx, appended.event, stateAfter));
    return afterCommits;
  };

  async search(requester: Requester, searchTerm: string, limit = 10): Promise<{ results: UserDirectoryResult[]; limited: boolean }> {
    if (!this.settings.enabled) return { results: [], limited: false };
    const { entries, limited } = await this.storage.userDirectory.search({
      searcher: requester.userId,
      term: searchTerm,
      limit,
      scope: this.settings.searchAllUsers ? 'all' : 'related',
      preferLocal: this.settings.preferLocalUsers,
      hidden: this.settings.hidden,
    });
    return { results: entries.map(toResult), limited };
  }

  /** A local user's profile changed (or they were just registered): lists them under it. */
  async refreshLocalUser(userId: string): Promise<void> {
    const profile = await this.storage.profiles.get(userId);
    await this.storage.transaction((tx) => tx.userDirectory.put({ userId, isLocal: true, displayName: text(profile.displayname), avatarUrl: text(profile.avatar_url) }));
  }

  /** Indexes what the directory does not hold yet: local users, joined members of rooms, rooms' publicity. */
  async start(): Promise<void> {
    for (const userId of await this.storage.userDirectory.unlistedLocalUsers()) await this.refreshLocalUser(userId);
    const members = (await this.storage.userDirectory.unlistedMembers()).filter(({ userId }) => !this.isLocal(userId));
    const events = await this.eventStore.getEvents(members.map(({ eventId }) => eventId as EventId));
    await this.storage.transaction(async (tx) => {
      for (const event of events.values()) await tx.userDirectory.putIfAbsent(remoteEntry(event));
    });
    for (const roomId of await this.storage.userDirectory.roomsWithoutPublicity()) await this.refreshRoom(roomId as RoomId);
  }

  private async index(tx: Repositories, event: RoomEvent, stateAfter: StateMap): Promise<AfterCommit | undefined> {
    if (event.stateKey === undefined) return undefined;
    if (event.type === 'm.room.member') {
      if (event.content.membership !== 'join') return undefined;
      if (!this.isLocal(event.stateKey)) {
        await tx.userDirectory.put(remoteEntry(event));
        return undefined;
      }
      if (this.listedRooms.has(event.roomId)) return undefined;
      this.listedRooms.set(event.roomId, true);
      return () => void this.listMembers(event.roomId).catch((error: unknown) => this.onFailure(error));
    }
    if (event.stateKey === '' && (event.type === 'm.room.join_rules' || event.type === 'm.room.history_visibility')) {
      const ids = [stateAfter.get(joinRulesKey), stateAfter.get(historyVisibilityKey)].filter((id) => id !== undefined);
      const state = await this.eventStore.localEvents(ids, tx);
      const content = (id: EventId | undefined) => (id === undefined ? undefined : (state.get(id)?.event.content ?? (id === event.eventId ? event.content : undefined)));
      await tx.userDirectory.setRoomPublic(event.roomId, isPublic(content(stateAfter.get(joinRulesKey)), content(stateAfter.get(historyVisibilityKey))));
    }
    return undefined;
  }

  /** Lists the room's joined members of other servers who are not listed yet, and records whether the room is public. */
  private async listMembers(roomId: RoomId): Promise<void> {
    const unlisted = await this.storage.userDirectory.unlisted((await this.roomStates.members(roomId)).filter((userId) => !this.isLocal(userId)));
    if (unlisted.length > 0) {
      const { state } = await this.roomStates.currentState(roomId);
      const events = await this.roomStates.events(state, unlisted.map((userId) => stateKeyOf('m.room.member', userId)));
      await this.storage.transaction(async (tx) => {
        for (const event of events.values()) await tx.userDirectory.putIfAbsent(remoteEntry(event));
      });
    }
    await this.refreshRoom(roomId);
  }

  private async refreshRoom(roomId: RoomId): Promise<void> {
    const [joinRules, historyVisibility] = await Promise.all([this.roomStates.currentEvent(roomId, 'm.room.join_rules', ''), this.roomStates.currentEvent(roomId, 'm.room.history_visibility', '')]);
    await this.storage.userDirectory.setRoomPublic(roomId, isPublic(joinRules?.content, historyVisibility?.content));
  }

  private isLocal(userId: string): boolean {
    return serverNameOf(userId as UserId) === this.settings.serverName;
  }
}

/** Synapse's "public" for the directory: anyone may join it or read its history. */
function isPublic(joinRules: JsonObject | undefined, historyVisibility: JsonObject | undefined): boolean {
  return joinRules?.join_rule === 'public' || historyVisibility?.history_visibility === 'world_readable';
}

/** Another server's user, under the name and avatar of their member event. */
function remoteEntry(event: RoomEvent): DirectoryEntry {
  return { userId: event.stateKey!, isLocal: false, displayName: text(event.content.displayname), avatarUrl: text(event.content.avatar_url) };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function toResult(entry: DirectoryEntry): UserDirectoryResult {
  return { user_id: entry.userId, ...(entry.displayName !== null ? { display_name: entry.displayName } : {}), ...(entry.avatarUrl !== null ? { avatar_url: entry.avatarUrl } : {}) };
}
