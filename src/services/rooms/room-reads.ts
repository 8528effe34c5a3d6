/**
 * Reading rooms as a member (client-server-api "Getting events for a room", "Room membership" lists,
 * "Pagination"): state, members, single events, context and /messages, each filtered by history
 * visibility. A user who left sees the room as it was when they left.
 *
 * Pagination tokens are positions on the events stream ("s42"): a token sits after the event at that
 * position, so paginating backwards from it starts with that event. The room's past fetched from
 * other servers (backfill) has negative positions ("s-7"), below the live timeline: going backwards
 * past the oldest event here, /messages asks `history` for more (server-server-api "Backfilling and
 * retrieving missing events") and serves what it stored.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../core/ids/identifiers.ts';
import { applyEventFilter, type EventFilter } from '../../core/filters/event-filter.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientEvents } from './client-events.ts';
import type { EventStore, LocalEvent } from './event-store.ts';
import type { HistoryVisibility } from './history-visibility.ts';
import type { Membership, RoomStates, StateMap } from './room-states.ts';
import type { IgnoredUsers } from './ignored-users.ts';

export interface MessagesRequest {
  from?: string;
  to?: string;
  dir: 'f' | 'b';
  limit: number;
  filter?: EventFilter & { lazy_load_members?: boolean };
}

/** /messages and /context never return more than this many events per request (Synapse: 1000). */
export const maxPageSize = 1000;

/** Below every stream position, backfilled ones included (they count down from -1). */
export const historyFloor = -Number.MAX_SAFE_INTEGER;

/** The room's past from its other servers, when this server's timeline of it ends (Backfiller). */
export interface RoomHistory {
  /** Fetches up to `limit` events older than the room's oldest here; how many were stored. */
  backfill(roomId: RoomId, limit: number): Promise<number>;
}

export function encodeStreamToken(position: number): string {
  return `s${position}`;
}

export function parseStreamToken(token: string): number {
  const match = /^s(-?\d{1,16})$/.exec(token);
  if (!match) throw new MatrixError('M_INVALID_PARAM', `Invalid pagination token ${JSON.stringify(token)}`);
  const position = Number(match[1]);
  if (!Number.isSafeInteger(position)) throw new MatrixError('M_INVALID_PARAM', `Invalid pagination token ${JSON.stringify(token)}`);
  return Math.max(position, historyFloor);
}

export class RoomReads {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly visibility: HistoryVisibility,
    private readonly clientEvents: ClientEvents,
    private readonly ignoredUsers: IgnoredUsers,
    private readonly history?: RoomHistory,
  ) {}

  async joinedRooms(requester: Requester): Promise<string[]> {
    return this.roomStates.joinedRoomsOf(requester.userId);
  }

  /** The state the user may see: current while joined, as of their leave event once they left. */
  async visibleState(requester: Requester, roomId: RoomId): Promise<StateMap> {
    const { membership, memberEvent } = await this.membershipOf(requester.userId, roomId);
    if (membership === 'join') return (await this.roomStates.currentState(roomId)).state;
    if ((membership === 'leave' || membership === 'ban') && memberEvent?.stateAfterGroup != null) return this.roomStates.stateOfGroup(memberEvent.stateAfterGroup);
    if (await this.isWorldReadable(roomId)) return (await this.roomStates.currentState(roomId)).state;
    throw new MatrixError('M_FORBIDDEN', 'You are not a member of this room');
  }

  async state(requester: Requester, roomId: RoomId): Promise<JsonObject[]> {
    const state = await this.visibleState(requester, roomId);
    return this.clientEvents.format(requester, [...(await this.roomStates.events(state)).values()]);
  }

  async stateEvent(requester: Requester, roomId: RoomId, type: string, stateKey: string): Promise<RoomEvent> {
    const state = await this.visibleState(requester, roomId);
    const event = (await this.roomStates.events(state, [stateKeyOf(type, stateKey)])).get(stateKeyOf(type, stateKey));
    if (!event) throw new MatrixError('M_NOT_FOUND', `No ${type} state event with state key ${JSON.stringify(stateKey)}`);
    return event;
  }

  async members(requester: Requester, roomId: RoomId, options: { at?: string; membership?: string; notMembership?: string }): Promise<JsonObject[]> {
    let state = await this.visibleState(requester, roomId);
    if (options.at !== undefined) {
      const position = parseStreamToken(options.at);
      const [atEvent] = await this.storage.roomEvents.timelineBetween(roomId, historyFloor, position, 'b', 1);
      if (atEvent?.stateAfterGroup != null) state = await this.roomStates.stateOfGroup(atEvent.stateAfterGroup);
    }
    const keys = [...state.keys()].filter((key) => key.startsWith('m.room.member\u0000'));
    const members = [...(await this.roomStates.events(state, keys)).values()]
      .filter((event) => options.membership === undefined || event.content.membership === options.membership)
      .filter((event) => options.notMembership === undefined || event.content.membership !== options.notMembership);
    return this.clientEvents.format(requester, members);
  }

  async joinedMembers(requester: Requester, roomId: RoomId): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
    const { membership } = await this.membershipOf(requester.userId, roomId);
    if (membership !== 'join') throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
    const { state } = await this.roomStates.currentState(roomId);
    const keys = [...state.keys()].filter((key) => key.startsWith('m.room.member\u0000'));
    const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
    for (const event of (await this.roomStates.events(state, keys)).values()) {
      if (event.content.membership !== 'join') continue;
      const { displayname, avatar_url } = event.content;
      joined[event.stateKey!] = { ...(typeof displayname === 'string' ? { display_name: displayname } : {}), ...(typeof avatar_url === 'string' ? { avatar_url } : {}) };
    }
    return joined;
  }

  async event(requester: Requester, roomId: RoomId, eventId: string): Promise<JsonObject> {
    const local = await this.eventStore.localEvent(eventId);
    if (!local || local.event.roomId !== roomId || local.rejected || !(await this.canSee(requester.userId, roomId, local))) {
      throw new MatrixError('M_NOT_FOUND', 'Event not found');
    }
    return this.clientEvents.formatOne(requester, local.event);
  }

  async messages(requester: Requester, roomId: RoomId, request: MessagesRequest): Promise<{ chunk: JsonObject[]; start: string; end?: string; state?: JsonObject[] }> {
    const { membership } = await this.membershipOf(requester.userId, roomId);
    if (membership === undefined && !(await this.isWorldReadable(roomId))) throw new MatrixError('M_FORBIDDEN', 'You are not a member of this room');
    const latest = await this.storage.streamCounters.currentPosition('events');
    const from = request.from === undefined ? (request.dir === 'b' ? latest : historyFloor) : parseStreamToken(request.from);
    const to = request.to === undefined ? undefined : parseStreamToken(request.to);
    const limit = Math.min(Math.max(request.limit, 1), maxPageSize);
    const readPage = () =>
      request.dir === 'b'
        ? this.storage.roomEvents.timelineBetween(roomId, to ?? historyFloor, from, 'b', limit)
        : this.storage.roomEvents.timelineBetween(roomId, from, Math.min(to ?? latest, latest), 'f', limit);
    let stored = await readPage();
    // Going backwards past the oldest event here (not stopped by `to`): the room's other servers may have more.
    if (request.dir === 'b' && to === undefined && stored.length < limit && this.history && (await this.history.backfill(roomId, limit)) > 0) stored = await readPage();
    const local = await this.eventStore.localEvents(stored.map((row) => row.eventId));
    const page = stored.flatMap((row) => local.get(row.eventId as EventId) ?? []);
    const visible = await this.visibility.filter(requester.userId, page, membership);
    const events = applyEventFilter(request.filter, await this.ignoredUsers.filter(requester.userId, visible.map((entry) => entry.event)));
    const response: { chunk: JsonObject[]; start: string; end?: string; state?: JsonObject[] } = {
      chunk: await this.clientEvents.format(requester, events),
      start: encodeStreamToken(from),
    };
    // No `end` once there is nothing further in that direction (client-server-api "GET /messages").
    const last = stored.at(-1);
    if (stored.length === limit && last?.streamPosition != null) response.end = encodeStreamToken(request.dir === 'b' ? last.streamPosition - 1 : last.streamPosition);
    if (request.filter?.lazy_load_members) response.state = await this.clientEvents.format(requester, await this.membersOf(roomId, events));
    return response;
  }

  async context(requester: Requester, roomId: RoomId, eventId: string, limit: number, filter?: EventFilter & { lazy_load_members?: boolean }): Promise<JsonObject> {
    const local = await this.eventStore.localEvent(eventId);
    if (!local || local.event.roomId !== roomId || local.streamPosition === null || !(await this.canSee(requester.userId, roomId, local))) {
      throw new MatrixError('M_NOT_FOUND', 'Event not found');
    }
    const half = Math.min(Math.max(limit, 0), maxPageSize);
    const position = local.streamPosition;
    const before = half === 0 ? { chunk: [], start: encodeStreamToken(position - 1) } : await this.messages(requester, roomId, { from: encodeStreamToken(position - 1), dir: 'b', limit: Math.floor(half / 2) || 1, filter });
    const after = half === 0 ? { chunk: [], start: encodeStreamToken(position) } : await this.messages(requester, roomId, { from: encodeStreamToken(position), dir: 'f', limit: Math.ceil(half / 2), filter });
    const stateGroup = local.stateAfterGroup ?? local.stateBeforeGroup;
    const state = stateGroup === null ? [] : [...(await this.roomStates.events(await this.roomStates.stateOfGroup(stateGroup))).values()];
    // With lazy loading, only the members who sent the events returned.
    const senders = new Set([local.event.sender, ...[...before.chunk, ...after.chunk].map((e) => e.sender as string)]);
    const shownState = filter?.lazy_load_members ? state.filter((event) => event.type !== 'm.room.member' || senders.has(event.stateKey!)) : state;
    return {
      event: await this.clientEvents.formatOne(requester, local.event),
      events_before: before.chunk,
      events_after: after.chunk,
      start: before.end ?? encodeStreamToken(0),
      end: after.end ?? encodeStreamToken(position + after.chunk.length),
      state: await this.clientEvents.format(requester, shownState),
    };
  }

  /** client-server-api "GET /timestamp_to_event": the closest event the user may see, in direction `dir`. */
  async eventAtTimestamp(requester: Requester, roomId: RoomId, ts: number, dir: 'f' | 'b'): Promise<{ event_id: string; origin_server_ts: number }> {
    const { membership } = await this.membershipOf(requester.userId, roomId);
    if (membership === undefined && !(await this.isWorldReadable(roomId))) throw new MatrixError('M_FORBIDDEN', 'You are not a member of this room');
    // Skip over events the user may not see, a bounded number of times.
    for (let skip = 0; skip < 100; skip++) {
      const stored = await this.storage.roomEvents.closestToTimestamp(roomId, ts, dir, skip);
      if (!stored) break;
      const local = await this.eventStore.localEvent(stored.eventId);
      if (local && (await this.visibility.canSee(requester.userId, local, membership))) return { event_id: stored.eventId, origin_server_ts: stored.originServerTs };
    }
    throw new MatrixError('M_NOT_FOUND', `No event found ${dir === 'f' ? 'after' : 'before'} ${ts}`);
  }


  formatEvent(requester: Requester, event: RoomEvent): Promise<JsonObject> {
    return this.clientEvents.formatOne(requester, event);
  }

  async membershipOf(userId: UserId | string, roomId: RoomId): Promise<{ membership: Membership | undefined; memberEvent: LocalEvent | undefined }> {
    if (!(await this.storage.roomEvents.room(roomId))) throw new MatrixError('M_FORBIDDEN', 'You are not a member of this room');
    const { state } = await this.roomStates.currentState(roomId);
    const id = state.get(stateKeyOf('m.room.member', userId));
    const memberEvent = id === undefined ? undefined : await this.eventStore.localEvent(id);
    return { membership: memberEvent?.event.content.membership as Membership | undefined, memberEvent };
  }

  private async canSee(userId: string, roomId: RoomId, local: LocalEvent): Promise<boolean> {
    const { membership } = await this.membershipOf(userId, roomId);
    return this.visibility.canSee(userId, local, membership);
  }

  private async isWorldReadable(roomId: RoomId): Promise<boolean> {
    const event = await this.roomStates.currentEvent(roomId, 'm.room.history_visibility', '');
    return event?.content.history_visibility === 'world_readable';
  }

  /** The member events of the senders of `events` (lazy-loading members). */
  private async membersOf(roomId: RoomId, events: readonly RoomEvent[]): Promise<RoomEvent[]> {
    const { state } = await this.roomStates.currentState(roomId);
    const keys = [...new Set(events.map((event) => stateKeyOf('m.room.member', event.sender)))] as StateKey[];
    return [...(await this.roomStates.events(state, keys)).values()];
  }
}
