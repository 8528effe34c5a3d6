/**
 * The `rooms` section of /sync (client-server-api "GET /sync": join, invite, knock and leave). An
 * initial sync is served from the state at the start of each room's timeline plus its last events,
 * never by replaying history; an incremental sync reads only the rooms with events in the stream range,
 * and the rooms whose membership changed in it.
 *
 * Stream ranges are half open: (since, upTo] on the events stream.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { strippedStateFromJson, strippedStateTypes, toStrippedStateEvent } from '../../core/events/client-event.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import type { EventId, RoomId } from '../../core/ids/identifiers.ts';
import { applyEventFilter, type EventFilter } from '../../core/filters/event-filter.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Receipts } from '../ephemeral/receipts.ts';
import type { Typing } from '../ephemeral/typing.ts';
import type { ClientEvents } from '../rooms/client-events.ts';
import type { EventStore, LocalEvent } from '../rooms/event-store.ts';
import type { HistoryVisibility } from '../rooms/history-visibility.ts';
import type { IgnoredUsers } from '../rooms/ignored-users.ts';
import type { RemoteRoomMemberships } from '../federation/remote-room-memberships.ts';
import type { RecentEvents } from '../rooms/recent-events.ts';
import type { Membership, RoomStates, StateMap } from '../rooms/room-states.ts';
import type { RoomUnreadCounts, UnreadCounts } from './unread-counts.ts';

export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  lazy_load_members?: boolean;
  unread_thread_notifications?: boolean;
}

export interface RoomSyncFilter {
  rooms?: string[];
  not_rooms?: string[];
  include_leave?: boolean;
  timeline?: RoomEventFilter;
  state?: RoomEventFilter;
  ephemeral?: RoomEventFilter;
  account_data?: RoomEventFilter;
}

export interface RoomSyncRequest {
  userId: string;
  deviceId: string;
  /** The events stream position of the `since` token; undefined for an initial sync. */
  since: number | undefined;
  upTo: number;
  fullState: boolean;
  filter?: RoomSyncFilter;
  /** Room account data changed in the range (all of it for an initial sync), by room. */
  accountData: ReadonlyMap<string, Array<{ type: string; content: JsonObject }>>;
  /** The account_data stream position the sync reads up to. */
  accountDataUpTo: number;
  /** Positions of the ephemeral streams: typing (in memory) and receipts. */
  typing: { since: number | undefined };
  receipts: { since: number | undefined; upTo: number };
}

interface Timeline {
  events: JsonObject[];
  limited: boolean;
  prev_batch: string;
}

export interface JoinedRoomSync extends Partial<RoomUnreadCounts> {
  timeline: Timeline;
  state: { events: JsonObject[] };
  account_data: { events: Array<{ type: string; content: JsonObject }> };
  ephemeral: { events: object[] };
  summary: JsonObject;
}

export interface LeftRoomSync {
  timeline: Timeline;
  state: { events: JsonObject[] };
  account_data: { events: Array<{ type: string; content: JsonObject }> };
}

export interface RoomsSync {
  join: Record<string, JoinedRoomSync>;
  invite: Record<string, { invite_state: { events: JsonObject[] } }>;
  knock: Record<string, { knock_state: { events: JsonObject[] } }>;
  leave: Record<string, LeftRoomSync>;
}

/** sync "timeline.limit": Synapse's default when the filter sets none. */
const defaultTimelineLimit = 10;


export class RoomSync {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly recentEvents: RecentEvents,
    private readonly visibility: HistoryVisibility,
    private readonly typing: Typing,
    private readonly receipts: Receipts,
    private readonly clientEvents: ClientEvents,
    private readonly ignoredUsers: IgnoredUsers,
    private readonly unreadCounts: UnreadCounts,
    /** Invites and knocks of rooms this server is not in (server-server-api "Inviting to a room", "Knocking upon a room"). */
    private readonly remoteRoomMemberships?: RemoteRoomMemberships,
  ) {}

  async rooms(request: RoomSyncRequest): Promise<RoomsSync> {
    const result: RoomsSync = { join: {}, invite: {}, knock: {}, leave: {} };
    const { userId, since, filter } = request;
    const memberships = await this.roomStates.roomsOfUser(userId);
    const wanted = [...memberships].filter(([roomId]) => roomWanted(filter, roomId)).map(([roomId, membership]) => ({ roomId, membership }));
    // Only rooms one has left can be forgotten.
    const forgotten = wanted.some((m) => m.membership === 'leave' || m.membership === 'ban') ? await this.storage.roomEvents.forgottenRooms(userId) : new Set<string>();
    const withEvents = since === undefined ? undefined : await this.recentEvents.roomsWithEventsBetween(wanted.map((m) => m.roomId), since, request.upTo);
    const joinedIds = wanted.filter((m) => m.membership === 'join').map((m) => m.roomId);
    const receipts = await this.receipts.receiptEvents(userId, joinedIds, request.receipts.since ?? 0, request.receipts.upTo);

    for (const { roomId: id, membership } of wanted) {
      const roomId = id as RoomId;
      const memberEvent = await this.memberEvent(roomId, userId);
      const memberPosition = memberEvent?.streamPosition ?? 0;
      // A change after upTo belongs to the next sync.
      if (memberPosition > request.upTo) continue;
      const changedInRange = since === undefined || memberPosition > since;
      // A room joined in the range comes with all of its account data (tags set while invited, say),
      // as in an initial sync; otherwise what changed in the range.
      const newlyJoined = since !== undefined && changedInRange && membership === 'join';
      const accountData = newlyJoined
        ? (await this.storage.accountData.ofRoom(userId, roomId, request.accountDataUpTo)).map(({ type, content }) => ({ type, content }))
        : (request.accountData.get(roomId) ?? []);

      if (membership === 'join') {
        const fresh = since === undefined || request.fullState || changedInRange;
        const unfiltered: Array<{ type: string }> = [];
        const typing = this.typing.typingEvent(roomId, fresh ? undefined : request.typing.since);
        if (typing && (typing.content.user_ids.length > 0 || !fresh)) unfiltered.push(typing);
        const receipt = receipts.get(roomId);
        if (receipt) unfiltered.push(receipt);
        const ephemeral = applyEventFilter(filter?.ephemeral, unfiltered);
        if (!fresh && !withEvents!.has(roomId) && accountData.length === 0 && ephemeral.length === 0) continue;
        const room = await this.roomSection(request, roomId, fresh ? undefined : since, request.upTo);
        result.join[roomId] = {
          ...room,
          account_data: { events: applyEventFilter(filter?.account_data, accountData) },
          ephemeral: { events: ephemeral },
          summary: await this.summary(roomId, userId),
        };
      } else if (membership === 'invite' || membership === 'knock') {
        if (!changedInRange || !memberEvent) continue;
        // "Ignoring Users": invites from ignored users are not sent.
        if (membership === 'invite' && (await this.ignoredUsers.of(userId)).has(memberEvent.event.sender)) continue;
        const events = await this.strippedState(roomId, memberEvent.event, { userId, deviceId: request.deviceId });
        if (membership === 'invite') result.invite[roomId] = { invite_state: { events } };
        else result.knock[roomId] = { knock_state: { events } };
      } else {
        if (forgotten.has(roomId)) continue;
        // Left rooms appear in an initial sync only with include_leave; an incremental sync reports
        // the rooms left within its range (and, with full_state and include_leave, all of them).
        if (since === undefined ? !filter?.include_leave : !changedInRange && !(request.fullState && filter?.include_leave)) continue;
        const room = await this.roomSection(request, roomId, changedInRange && since !== undefined ? since : undefined, memberPosition);
        result.leave[roomId] = { ...room, account_data: { events: applyEventFilter(filter?.account_data, accountData) } };
      }
    }
    await this.addRemoteRoomMemberships(request, memberships, result);
    // Receipts are ephemeral data of the room, so a new one brings the room, with its new counts.
    const counts = await this.unreadCounts.counts(userId, Object.keys(result.join), request.upTo, filter?.timeline?.unread_thread_notifications === true);
    for (const [roomId, room] of Object.entries(result.join)) Object.assign(room, counts.get(roomId));
    return result;
  }

  /**
   * A room's timeline over (after, upTo] (from the start of the room when `after` is undefined) and its
   * state: the full state at the start of the timeline, or for an incremental sync with a gap, what
   * changed between `after` and the start of the timeline.
   */
  private async roomSection(request: RoomSyncRequest, roomId: RoomId, after: number | undefined, upTo: number): Promise<{ timeline: Timeline; state: { events: JsonObject[] } }> {
    const limit = request.filter?.timeline?.limit ?? defaultTimelineLimit;
    const rows = await this.recentEvents.newest(roomId, after ?? 0, upTo, limit + 1);
    const limited = rows.length > limit;
    const page = rows.slice(0, limit).reverse();
    const locals = await this.eventStore.localEvents(page.map((row) => row.eventId));
    const ordered = page.flatMap((row) => locals.get(row.eventId as EventId) ?? []);
    const membership = (await this.roomStates.membership(roomId, request.userId)) as Membership | undefined;
    const visible = await this.visibility.filter(request.userId, ordered, membership);
    const timelineEvents = applyEventFilter(request.filter?.timeline, await this.ignoredUsers.filter(request.userId, visible.map((local) => local.event)));
    const first = ordered[0];
    const prevBatch = `s${first ? first.streamPosition! - 1 : upTo}`;

    const stateAtStart = await this.stateBefore(roomId, first, upTo);
    let stateEvents: RoomEvent[];
    if (after !== undefined && !limited) {
      stateEvents = [];
    } else if (after !== undefined) {
      const stateAtSince = await this.stateAfterPosition(roomId, after);
      const changed = [...stateAtStart].filter(([key, eventId]) => stateAtSince.get(key) !== eventId).map(([key]) => key);
      stateEvents = [...(await this.roomStates.events(stateAtStart, changed)).values()];
    } else {
      stateEvents = [...(await this.roomStates.events(stateAtStart)).values()];
    }
    stateEvents = this.lazyLoad(request, stateEvents, timelineEvents, after === undefined);
    stateEvents = applyEventFilter(request.filter?.state, stateEvents);

    const requester = { userId: request.userId, deviceId: request.deviceId };
    return {
      timeline: { events: await this.clientEvents.format(requester, timelineEvents, { omitRoomId: true }), limited, prev_batch: prevBatch },
      state: { events: await this.clientEvents.format(requester, stateEvents, { omitRoomId: true }) },
    };
  }

  /** With lazy_load_members, only the member events of the timeline's senders (and the syncing user). */
  private lazyLoad(request: RoomSyncRequest, state: RoomEvent[], timeline: readonly RoomEvent[], initial: boolean): RoomEvent[] {
    if (!request.filter?.state?.lazy_load_members) return state;
    const senders = new Set(timeline.map((event) => event.sender as string));
    if (initial) senders.add(request.userId);
    return state.filter((event) => event.type !== 'm.room.member' || senders.has(event.stateKey!));
  }

  private async stateBefore(roomId: RoomId, first: LocalEvent | undefined, upTo: number): Promise<StateMap> {
    if (first?.stateBeforeGroup != null) return this.roomStates.stateOfGroup(first.stateBeforeGroup);
    return this.stateAfterPosition(roomId, upTo);
  }

  /** The room's state after its last event at or before `position`. */
  private async stateAfterPosition(roomId: RoomId, position: number): Promise<StateMap> {
    const [last] = await this.recentEvents.newest(roomId, 0, position, 1);
    return last?.stateAfterGroup == null ? new Map() : this.roomStates.stateOfGroup(last.stateAfterGroup);
  }

  private async memberEvent(roomId: RoomId, userId: string): Promise<LocalEvent | undefined> {
    const { state } = await this.roomStates.currentState(roomId);
    const id = state.get(stateKeyOf('m.room.member', userId));
    return id === undefined ? undefined : this.eventStore.localEvent(id);
  }

  private async strippedState(roomId: RoomId, memberEvent: RoomEvent, requester: { userId: string; deviceId: string }): Promise<JsonObject[]> {
    const { state } = await this.roomStates.currentState(roomId);
    const events = await this.roomStates.events(state, strippedStateTypes.map((type) => stateKeyOf(type, '')) as StateKey[]);
    return [...[...events.values()].map((event) => toStrippedStateEvent(event)), ...(await this.clientEvents.format(requester, [memberEvent], { omitRoomId: true }))];
  }

  /**
   * Invites and knocks of rooms this server is not in, and the leaves that rejected or retracted them,
   * each once (their position is on the events stream): the invite or knock with the stripped state
   * the other server sent (client-server-api "GET /sync": `invite_state`, `knock_state`).
   */
  private async addRemoteRoomMemberships(request: RoomSyncRequest, memberships: ReadonlyMap<string, Membership>, result: RoomsSync): Promise<void> {
    const { userId, since, upTo, filter } = request;
    for (const remote of (await this.remoteRoomMemberships?.forUser(userId)) ?? []) {
      // A room known here is synced from its own state.
      if (memberships.has(remote.roomId) || !roomWanted(filter, remote.roomId)) continue;
      if (remote.streamPosition > upTo || (since !== undefined && remote.streamPosition <= since)) continue;
      const event = this.remoteRoomMemberships!.eventOf(remote);
      // "Ignoring Users": invites from ignored users are not sent.
      if (remote.membership === 'invite' && (await this.ignoredUsers.of(userId)).has(event.sender)) continue;
      const own = await this.clientEvents.format({ userId, deviceId: request.deviceId }, [event], { omitRoomId: true });
      const stripped = remote.strippedState.flatMap((json) => strippedStateFromJson(json) ?? []);
      if (remote.membership === 'invite') result.invite[remote.roomId] = { invite_state: { events: [...stripped, ...own] } };
      else if (remote.membership === 'knock') result.knock[remote.roomId] = { knock_state: { events: [...stripped, ...own] } };
      else if (since !== undefined || filter?.include_leave) {
        // Left rooms appear in an initial sync only with include_leave.
        result.leave[remote.roomId] = { timeline: { events: own, limited: false, prev_batch: `s${remote.streamPosition - 1}` }, state: { events: [] }, account_data: { events: [] } };
      }
    }
  }

  /** sync "RoomSummary": heroes and member counts, for clients to name unnamed rooms. */
  private async summary(roomId: RoomId, userId: string): Promise<JsonObject> {
    const joined = await this.roomStates.members(roomId, ['join']);
    const invited = await this.roomStates.members(roomId, ['invite']);
    const heroes = [...joined, ...invited].filter((member) => member !== userId).sort().slice(0, 5);
    return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
  }

}

function roomWanted(filter: RoomSyncFilter | undefined, roomId: string): boolean {
  if (filter?.not_rooms?.includes(roomId)) return false;
  return filter?.rooms === undefined || filter.rooms.includes(roomId);
}
