/**
 * Room state as snapshots (state groups) and each room's current state, cached. The current state of a
 * room changes only through the timeline, under the room's lock, which updates the cache after commit;
 * snapshots never change once written.
 */
import { lru } from '../../util/lru.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../core/ids/identifiers.ts';
import type { Repositories } from '../../storage/storage.ts';
import type { EventStore } from './event-store.ts';

export type StateMap = ReadonlyMap<StateKey, EventId>;

export interface CurrentState {
  /** The snapshot the current state equals; null before the create event. */
  readonly groupId: number | null;
  readonly state: StateMap;
}

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export class RoomStates {
  private readonly current = lru<string, CurrentState>(2_000);
  private readonly groups = lru<number, StateMap>(2_000);
  private readonly joined = lru<string, Set<string>>(2_000);
  /** Per user, their membership in each room they have one in (kept up to date by setCurrentState). */
  private readonly userRooms = lru<string, ReadonlyMap<string, Membership>>(20_000);
  /** Every member's membership, per state map (a state map never changes: a new state is a new map). */
  private readonly membersOfState = new WeakMap<StateMap, Array<{ userId: UserId; membership: Membership }>>();
  /** Bumped on every membership change, so a read that raced one is not cached. */
  private membershipChanges = 0;

  constructor(
    private readonly storage: Repositories,
    private readonly eventStore: EventStore,
  ) {}

  async currentState(roomId: RoomId | string): Promise<CurrentState> {
    const cached = this.current.get(roomId);
    if (cached) return cached;
    const room = await this.storage.roomEvents.room(roomId);
    const groupId = room?.currentStateGroup ?? null;
    const current: CurrentState = { groupId, state: groupId === null ? new Map() : await this.stateOfGroup(groupId) };
    this.current.set(roomId, current);
    return current;
  }

  /** Called by the timeline after it committed a new current state, with the membership it changed. */
  setCurrentState(roomId: RoomId, current: CurrentState, membershipChange?: { userId: string; membership: string }): void {
    this.current.set(roomId, current);
    if (current.groupId !== null) this.groups.set(current.groupId, current.state);
    if (!membershipChange) return;
    const { userId, membership } = membershipChange;
    this.membershipChanges++;
    const joined = this.joined.get(roomId);
    if (membership === 'join') joined?.add(userId);
    else joined?.delete(userId);
    const rooms = this.userRooms.get(userId);
    if (rooms) this.userRooms.set(userId, new Map(rooms).set(roomId, membership as Membership));
  }

  /** The rooms the user has a membership in (any of them, including leave and ban), with that membership. */
  async roomsOfUser(userId: string): Promise<ReadonlyMap<string, Membership>> {
    const cached = this.userRooms.get(userId);
    if (cached) return cached;
    const changesBefore = this.membershipChanges;
    const rows = await this.storage.roomEvents.roomsOfUser(userId, ['join', 'invite', 'knock', 'leave', 'ban']);
    const rooms = new Map(rows.map(({ roomId, membership }) => [roomId, membership as Membership]));
    if (changesBefore === this.membershipChanges) this.userRooms.set(userId, rooms);
    return rooms;
  }

  /** The rooms the user is joined to. */
  async joinedRoomsOf(userId: string): Promise<string[]> {
    return [...(await this.roomsOfUser(userId))].filter(([, membership]) => membership === 'join').map(([roomId]) => roomId);
  }

  /** The users joined to the room now (cached; kept up to date by setCurrentState). */
  async joinedMembers(roomId: RoomId): Promise<ReadonlySet<string>> {
    const cached = this.joined.get(roomId);
    if (cached) return cached;
    const joined = new Set<string>(await this.members(roomId, ['join']));
    this.joined.set(roomId, joined);
    return joined;
  }

  async stateOfGroup(groupId: number): Promise<StateMap> {
    const cached = this.groups.get(groupId);
    if (cached) return cached;
    const state = (await this.storage.stateGroups.state(groupId)) as Map<StateKey, EventId>;
    this.groups.set(groupId, state);
    return state;
  }

  /** The events of `state` under `keys` (all of it when absent). */
  async events(state: StateMap, keys?: readonly StateKey[]): Promise<Map<StateKey, RoomEvent>> {
    const wanted = keys ? keys.filter((key) => state.has(key)) : [...state.keys()];
    const events = await this.eventStore.getEvents(wanted.map((key) => state.get(key)!));
    const result = new Map<StateKey, RoomEvent>();
    for (const key of wanted) {
      const event = events.get(state.get(key)!);
      if (event) result.set(key, event);
    }
    return result;
  }

  async currentEvent(roomId: RoomId, type: string, stateKey: string): Promise<RoomEvent | undefined> {
    const { state } = await this.currentState(roomId);
    const id = state.get(stateKeyOf(type, stateKey));
    return id === undefined ? undefined : (await this.eventStore.getEvents([id])).get(id);
  }

  async membership(roomId: RoomId, userId: UserId | string): Promise<Membership | undefined> {
    const member = await this.currentEvent(roomId, 'm.room.member', userId);
    return member ? (member.content.membership as Membership) : undefined;
  }

  /** The users whose current membership in the room is one of `memberships`. */
  async members(roomId: RoomId, memberships: readonly Membership[] = ['join']): Promise<UserId[]> {
    const { state } = await this.currentState(roomId);
    let all = this.membersOfState.get(state);
    if (!all) {
      const memberKeys = [...state.keys()].filter((key) => key.startsWith('m.room.member\u0000'));
      const events = await this.events(state, memberKeys);
      all = [...events.values()].map((event) => ({ userId: event.stateKey as UserId, membership: event.content.membership as Membership }));
      this.membersOfState.set(state, all);
    }
    return all.filter(({ membership }) => memberships.includes(membership)).map(({ userId }) => userId);
  }
}
