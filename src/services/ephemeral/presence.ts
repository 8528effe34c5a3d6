/**
 * Presence (client-server-api "Presence"). A user is `online` while a client syncs or after activity,
 * `unavailable` when idle or by choice, and `offline` once no client has synced for a while. Changes
 * are numbered on the presence stream and sent to the users who share a room with them.
 *
 * The records of users seen since start live in memory (syncs are far more frequent than changes);
 * a change of state, status message or `currently_active` is written before it is announced. One
 * sweep timer applies the idle and offline timeouts; it is the only timer here.
 */
import { MatrixError } from '../../core/errors.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { PresenceRecord, PresenceState } from '../../storage/repositories/presence.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ServerEvents } from '../server-events.ts';

export type { PresenceState };

export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg?: string;
}

export interface PresenceEvent {
  type: 'm.presence';
  sender: string;
  content: PresenceContent;
}

export interface PresenceOptions {
  enabled: boolean;
  /** This server's name: only its users' timeouts apply here (others' are their own server's to apply). */
  serverName?: string;
  /** Online users with no activity for this long become unavailable (Synapse: 5 minutes). */
  idleTimeoutMs?: number;
  /** Users with no sync and no activity for this long go offline (Synapse: 30 seconds). */
  syncTimeoutMs?: number;
  /** `currently_active` holds for this long after the last activity (Synapse: 1 minute). */
  activeGranularityMs?: number;
  sweepIntervalMs?: number;
}

export class Presence {
  private readonly records = new Map<string, PresenceRecord>();
  private readonly syncing = new Map<string, number>();
  private readonly idleTimeoutMs: number;
  private readonly syncTimeoutMs: number;
  private readonly activeGranularityMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly clock: () => number,
    private readonly options: PresenceOptions,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 30_000;
    this.activeGranularityMs = options.activeGranularityMs ?? 60_000;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Loads the users a previous run left online, so their timeouts apply, and starts the sweep. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    for (const record of await this.storage.presence.notOffline()) {
      if (this.options.serverName === undefined || serverNameOf(record.userId as UserId) === this.options.serverName) this.records.set(record.userId, record);
    }
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => {}), this.options.sweepIntervalMs ?? 5_000);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  /** PUT /presence/{userId}/status: only the user themselves. Setting a state counts as activity. */
  async setStatus(requester: Requester, userId: string, state: PresenceState, statusMsg: string | undefined): Promise<void> {
    if (requester.userId !== userId) throw new MatrixError('M_FORBIDDEN', 'You cannot set the presence of another user');
    if (!this.enabled) return;
    const now = this.clock();
    const current = await this.record(userId);
    const active = state === 'online';
    await this.change(userId, {
      state,
      statusMsg: statusMsg ?? null,
      lastActiveTs: active ? now : current.lastActiveTs,
      currentlyActive: active,
      lastUserSyncTs: current.lastUserSyncTs,
    });
  }

  /** GET /presence/{userId}/status: the user themselves, or someone who shares a room with them. */
  async getStatus(requester: Requester, userId: string): Promise<PresenceContent> {
    if (!(await this.storage.users.exists(userId))) throw new MatrixError('M_NOT_FOUND', 'Unknown user');
    if (requester.userId !== userId && !(await this.sharesRoom(requester.userId, userId))) {
      throw new MatrixError('M_FORBIDDEN', 'You do not share a room with this user');
    }
    if (!this.enabled) return { presence: 'offline' };
    return this.content(await this.record(userId));
  }

  /**
   * A /sync began. Unless the client asked for `offline`, a user who was offline comes online (or
   * unavailable, if that is what the client set); a user who chose unavailable stays so. Returns the
   * function to call when the sync ends.
   */
  async syncStarted(userId: string, setPresence: PresenceState | undefined): Promise<() => void> {
    if (!this.enabled) return () => {};
    this.syncing.set(userId, (this.syncing.get(userId) ?? 0) + 1);
    const record = await this.record(userId);
    const now = this.clock();
    record.lastUserSyncTs = now;
    const wanted = setPresence ?? 'online';
    const next = wanted === 'offline' ? record.state : record.state === 'offline' || wanted === 'unavailable' ? wanted : record.state;
    if (next !== record.state) {
      const active = next === 'online';
      await this.change(userId, { ...record, state: next, lastActiveTs: active ? now : record.lastActiveTs, currentlyActive: active });
    }
    return () => {
      const left = (this.syncing.get(userId) ?? 1) - 1;
      if (left > 0) this.syncing.set(userId, left);
      else this.syncing.delete(userId);
      record.lastUserSyncTs = this.clock();
    };
  }

  /** A pro-active action (sending an event): bumps the last active time and brings the user online. */
  async userActive(userId: string): Promise<void> {
    if (!this.enabled) return;
    const record = await this.record(userId);
    const now = this.clock();
    if (record.state === 'online' && record.currentlyActive) {
      record.lastActiveTs = now;
      return;
    }
    await this.change(userId, { ...record, state: 'online', lastActiveTs: now, currentlyActive: true });
  }

  /**
   * A user of another server's presence (federation `m.presence` EDU; the caller checked it came from
   * the user's server), announced to `sharingWith`, the local users sharing a room with them. It stays
   * out of the in-memory records: the user's own server applies the timeouts and tells us.
   */
  async receiveRemote(userId: string, content: PresenceContent, sharingWith: readonly string[]): Promise<void> {
    if (!this.enabled) return;
    const { presence: state, last_active_ago: ago = 0, currently_active: currentlyActive = false, status_msg: statusMsg = null } = content;
    const position = await this.storage.transaction(async (tx) => {
      const streamPosition = await tx.streamCounters.nextPosition('presence');
      await tx.presence.upsert({ userId, state, statusMsg, lastActiveTs: this.clock() - ago, lastUserSyncTs: 0, currentlyActive, streamPosition });
      return streamPosition;
    });
    this.events.emit('presence', { userId, position, userIds: [...sharingWith] });
  }

  /**
   * The presence events for /sync: users who share a room with `userId` (and the user), changed in
   * (after, upTo]; for an initial sync (`after` undefined) the current presence of those not offline.
   * Users the user newly shares a room with (joins in `events`, the range of the events stream) come
   * with their current presence, however old, as the user has not seen it.
   */
  async syncEvents(userId: string, after: number | undefined, upTo: number, events?: { after: number; upTo: number }): Promise<PresenceEvent[]> {
    if (!this.enabled) return [];
    const presenceMoved = after === undefined || after < upTo;
    const joined = after !== undefined && events && events.after < events.upTo ? await this.newlySharing(userId, events.after, events.upTo) : new Set<string>();
    if (!presenceMoved && joined.size === 0) return [];
    const users = await this.usersSharingRooms(userId);
    const records = presenceMoved ? await this.storage.presence.changedBetween([...users], after, upTo) : [];
    const included = new Set(records.map((record) => record.userId));
    const fresh = [...joined].filter((user) => users.has(user) && !included.has(user));
    if (fresh.length > 0) records.push(...(await this.storage.presence.changedBetween(fresh, undefined, upTo)).filter((record) => record.state !== 'offline'));
    return records
      .filter((record) => after !== undefined || record.state !== 'offline')
      .map((stored) => ({ type: 'm.presence', sender: stored.userId, content: this.content(this.records.get(stored.userId) ?? stored) }));
  }

  /** Who joined a room shared with `userId` in the range, and everyone in a room `userId` joined in it. */
  private async newlySharing(userId: string, after: number, upTo: number): Promise<Set<string>> {
    const joins = (await this.storage.roomMemberships.membershipChangesAround(userId, after, upTo)).filter((change) => change.membership === 'join');
    const users = new Set(joins.filter((join) => join.userId !== userId).map((join) => join.userId));
    const roomsJoined = joins.filter((join) => join.userId === userId).map((join) => join.roomId);
    for (const member of await this.storage.roomMemberships.joinedMembersOf(roomsJoined)) users.add(member);
    users.delete(userId);
    return users;
  }

  /** Applies the idle and offline timeouts. */
  async sweep(): Promise<void> {
    const now = this.clock();
    for (const record of [...this.records.values()]) {
      if (record.state === 'offline') continue;
      const quiet = now - Math.max(record.lastActiveTs, record.lastUserSyncTs);
      if (!this.syncing.has(record.userId) && quiet > this.syncTimeoutMs) {
        await this.change(record.userId, { ...record, state: 'offline', currentlyActive: false });
      } else if (record.state === 'online' && now - record.lastActiveTs > this.idleTimeoutMs) {
        await this.change(record.userId, { ...record, state: 'unavailable', currentlyActive: false });
      } else if (record.currentlyActive && now - record.lastActiveTs > this.activeGranularityMs) {
        await this.change(record.userId, { ...record, currentlyActive: false });
      }
    }
  }

  private content(record: PresenceRecord): PresenceContent {
    const content: PresenceContent = { presence: record.state, last_active_ago: Math.max(0, this.clock() - record.lastActiveTs) };
    if (record.state === 'online') content.currently_active = record.currentlyActive;
    if (record.statusMsg !== null) content.status_msg = record.statusMsg;
    return content;
  }

  private async record(userId: string): Promise<PresenceRecord> {
    let record = this.records.get(userId);
    if (!record) {
      record = (await this.storage.presence.get(userId)) ?? { userId, state: 'offline', statusMsg: null, lastActiveTs: 0, lastUserSyncTs: 0, currentlyActive: false, streamPosition: 0 };
      // Another call may have loaded it while we read.
      record = this.records.get(userId) ?? record;
      this.records.set(userId, record);
    }
    return record;
  }

  private async change(userId: string, next: Omit<PresenceRecord, 'userId' | 'streamPosition'>): Promise<void> {
    const position = await this.storage.transaction(async (tx) => {
      const streamPosition = await tx.streamCounters.nextPosition('presence');
      await tx.presence.upsert({ ...next, userId, streamPosition });
      return streamPosition;
    });
    const record = await this.record(userId);
    Object.assign(record, next, { streamPosition: position });
    this.events.emit('presence', { userId, position, userIds: [...(await this.usersSharingRooms(userId))] });
  }

  private async usersSharingRooms(userId: string): Promise<Set<string>> {
    const users = await this.storage.roomMemberships.usersSharingRoomsWith(userId);
    users.add(userId);
    return users;
  }

  private async sharesRoom(userId: string, other: string): Promise<boolean> {
    return (await this.storage.roomMemberships.usersSharingRoomsWith(userId, [other])).has(other);
  }
}
