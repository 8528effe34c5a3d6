/**
 * Server-side search of room events (client-server-api "Server Side Search", search.yaml, category
 * `room_events`): "all events that the user is allowed to see, including events in rooms that they
 * have left", so rooms the user is in or has left (not forgotten), each event checked against history
 * visibility as /messages does (nothing after the user left, unless world readable).
 *
 * The index answers in the requested order, after the previous page's cursor; what the user may not
 * see is dropped here, so a page is filled from a few rounds of candidates and the cursor moves past
 * every candidate looked at: a page never repeats one and never skips one. `count` is the index's count
 * for the rooms and senders asked, before visibility (the spec lets it be an estimate).
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import type { EventId, RoomId } from '../../core/ids/identifiers.ts';
import { matchesEventFilter, type EventFilter } from '../../core/filters/event-filter.ts';
import { searchKeys, searchKeyTypes, type SearchKey } from '../../core/search/searchable-text.ts';
import type { SearchCriteria, SearchCursor, SearchHit, SearchPageRequest } from '../../storage/repositories/event-search.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientEvents } from '../rooms/client-events.ts';
import type { EventStore, LocalEvent } from '../rooms/event-store.ts';
import type { HistoryVisibility } from '../rooms/history-visibility.ts';
import type { IgnoredUsers } from '../rooms/ignored-users.ts';
import type { RoomReads } from '../rooms/room-reads.ts';
import type { Membership, RoomStates } from '../rooms/room-states.ts';
import { decodeSearchBatch, encodeSearchBatch, type SearchBatch, type SearchGroupKey, type SearchOrder } from './search-batch-token.ts';
import type { SearchContext } from './search-context.ts';

/** search.yaml "Room Events Criteria". */
export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: EventFilter & { rooms?: string[]; not_rooms?: string[] };
  order_by?: SearchOrder;
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: Array<{ key?: SearchGroupKey }> };
}

/** Results per page without a filter limit (Synapse's default), and at most. */
const defaultLimit = 10;
const maxLimit = 100;
/** search.yaml event_context: "By default, this is 5"; at most this many each side. */
const defaultContext = 5;
const maxContext = 100;
/** Rounds of candidates a page takes at most before it is returned short (with a next_batch). */
const maxRounds = 5;
/** The memberships of rooms whose events the user may have seen. */
const searchedMemberships: ReadonlySet<Membership> = new Set(['join', 'leave', 'ban']);

interface Found {
  hit: SearchHit;
  local: LocalEvent;
}

export class RoomSearch {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly visibility: HistoryVisibility,
    private readonly clientEvents: ClientEvents,
    private readonly ignoredUsers: IgnoredUsers,
    private readonly roomReads: RoomReads,
    private readonly context: SearchContext,
  ) {}

  async search(requester: Requester, criteria: RoomEventsCriteria, nextBatch: string | undefined): Promise<JsonObject> {
    const orderBy = criteria.order_by ?? 'rank';
    const batch = nextBatch === undefined ? undefined : decodeSearchBatch(nextBatch);
    if (batch && batch.orderBy !== orderBy) throw new MatrixError('M_INVALID_PARAM', 'next_batch belongs to a search in another order_by');
    const { filter } = criteria;
    const rooms = await this.searchedRooms(requester.userId, filter, batch?.group);
    const words = await this.storage.eventSearch.words(criteria.search_term);
    const scope: SearchCriteria = {
      words,
      // A types filter narrows the keys: each key belongs to one event type.
      keys: (criteria.keys ?? searchKeys).filter((key) => matchesEventFilter({ types: filter?.types, not_types: filter?.not_types }, { type: searchKeyTypes[key] })),
      roomIds: [...rooms.keys()],
      senders: batch?.group?.key === 'sender' ? [batch.group.value].filter((sender) => !filter?.senders || filter.senders.includes(sender)) : filter?.senders,
      notSenders: filter?.not_senders,
    };
    const limit = Math.min(filter?.limit ?? defaultLimit, maxLimit);
    const { found, next } = await this.page(requester.userId, { ...scope, orderBy, limit }, rooms, filter, batch);
    const token = (group?: SearchBatch['group']) => next && encodeSearchBatch({ orderBy, ...next, ...(group ? { group } : {}) });
    const roomEvents: JsonObject = { results: await this.results(requester, found, rooms, criteria.event_context), count: await this.storage.eventSearch.count(scope), highlights: words };
    // A page asked for within a group continues within it (as Synapse does).
    if (next) roomEvents.next_batch = token(batch?.group);
    const groupKeys = (criteria.groupings?.group_by ?? []).flatMap(({ key }) => (key ? [key] : []));
    if (groupKeys.length > 0) roomEvents.groups = groupResults(found, groupKeys, token);
    if (criteria.include_state) roomEvents.state = await this.roomStatesOf(requester, found);
    return { search_categories: { room_events: roomEvents } };
  }

  /** search.yaml "Result": each event in the client format, with its rank and, if asked for, its context. */
  private async results(requester: Requester, found: readonly Found[], rooms: ReadonlyMap<string, Membership>, eventContext: RoomEventsCriteria['event_context']): Promise<JsonObject[]> {
    const events = await this.clientEvents.format(requester, found.map(({ local }) => local.event));
    const contextRequest = eventContext && {
      beforeLimit: Math.min(eventContext.before_limit ?? defaultContext, maxContext),
      afterLimit: Math.min(eventContext.after_limit ?? defaultContext, maxContext),
      includeProfile: eventContext.include_profile ?? false,
    };
    const results: JsonObject[] = [];
    for (const [i, { hit, local }] of found.entries()) {
      const result: JsonObject = { rank: hit.rank, result: events[i] };
      if (contextRequest) result.context = await this.context.of(requester, local, rooms.get(local.event.roomId), contextRequest);
      results.push(result);
    }
    return results;
  }

  /** The rooms searched, with the user's membership: those the user is in or has left, narrowed by the filter and the token's group. */
  private async searchedRooms(userId: string, filter: RoomEventsCriteria['filter'], group: SearchBatch['group']): Promise<Map<string, Membership>> {
    const forgotten = await this.storage.roomEvents.forgottenRooms(userId);
    const rooms = new Map<string, Membership>();
    for (const [roomId, membership] of await this.roomStates.roomsOfUser(userId)) {
      if (!searchedMemberships.has(membership) || forgotten.has(roomId)) continue;
      if ((filter?.rooms && !filter.rooms.includes(roomId)) || filter?.not_rooms?.includes(roomId)) continue;
      if (group?.key === 'room_id' && group.value !== roomId) continue;
      rooms.set(roomId, membership);
    }
    return rooms;
  }

  /**
   * Up to `limit` results the user may see, after the token's cursor, and the cursor after the last
   * candidate looked at when there may be more.
   */
  private async page(userId: string, request: Omit<SearchPageRequest, 'after'>, rooms: ReadonlyMap<string, Membership>, filter: EventFilter | undefined, batch: SearchBatch | undefined): Promise<{ found: Found[]; next?: SearchCursor }> {
    const found: Found[] = [];
    let after: SearchCursor | undefined = batch && { rank: batch.rank, streamPosition: batch.streamPosition };
    for (let round = 0; round < maxRounds; round++) {
      const hits = await this.storage.eventSearch.search({ ...request, after });
      const shown = await this.shown(userId, hits, rooms, filter);
      for (const [i, hit] of hits.entries()) {
        after = { rank: hit.rank, streamPosition: hit.streamPosition };
        const local = shown.get(hit.eventId);
        if (local) found.push({ hit, local });
        if (found.length === request.limit) return { found, next: i === hits.length - 1 && hits.length < request.limit ? undefined : after };
      }
      if (hits.length < request.limit) return { found };
    }
    return { found, next: after };
  }

  /** The hits' events the user is to see: visible to them, not redacted, not from a user they ignore, passing the filter. */
  private async shown(userId: string, hits: readonly SearchHit[], rooms: ReadonlyMap<string, Membership>, filter: EventFilter | undefined): Promise<Map<string, LocalEvent>> {
    const ids = hits.map((hit) => hit.eventId);
    const locals = await this.eventStore.localEvents(ids);
    // The index drops redacted events; this also covers a redaction stored by backfill, which does not run persist hooks.
    const redacted = await this.eventStore.redactionsOf(ids);
    const byRoom = new Map<string, LocalEvent[]>();
    for (const id of ids) {
      const local = locals.get(id as EventId);
      if (!local || redacted.has(id) || !matchesEventFilter(filter, local.event)) continue;
      byRoom.set(local.event.roomId, [...(byRoom.get(local.event.roomId) ?? []), local]);
    }
    const shown = new Map<string, LocalEvent>();
    for (const [roomId, candidates] of byRoom) {
      const visible = await this.visibility.filter(userId, candidates, rooms.get(roomId));
      const kept = new Set(await this.ignoredUsers.filter(userId, visible.map((local) => local.event)));
      for (const local of visible) if (kept.has(local.event)) shown.set(local.event.eventId, local);
    }
    return shown;
  }

  /** include_state: "the current state for every room in the results", as the user may see it (as of leaving a room they left). */
  private async roomStatesOf(requester: Requester, found: readonly Found[]): Promise<Record<string, JsonObject[]>> {
    const states: Record<string, JsonObject[]> = {};
    for (const roomId of new Set(found.map(({ local }) => local.event.roomId))) states[roomId] = await this.roomReads.state(requester, roomId as RoomId);
    return states;
  }
}

/**
 * search.yaml "groups": per requested key, the results' event IDs per value, `order` numbering the
 * groups as they first appear, and a `next_batch` scoped to the group when the page may not be the last.
 */
function groupResults(found: readonly Found[], keys: readonly SearchGroupKey[], token: (group: SearchBatch['group']) => string | undefined): JsonObject {
  const groups: Record<string, Record<string, JsonObject & { results: string[] }>> = {};
  for (const key of new Set(keys)) {
    const byValue: Record<string, JsonObject & { results: string[] }> = {};
    for (const { local } of found) {
      const value = key === 'room_id' ? local.event.roomId : local.event.sender;
      byValue[value] ??= { order: Object.keys(byValue).length + 1, results: [] };
      byValue[value].results.push(local.event.eventId);
    }
    for (const [value, group] of Object.entries(byValue)) {
      const nextBatch = token({ key, value });
      if (nextBatch) group.next_batch = nextBatch;
    }
    groups[key] = byValue;
  }
  return groups;
}
