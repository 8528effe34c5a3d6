/**
 * Reading rooms for other servers (server-server-api "Retrieving events", "Backfilling and retrieving
 * missing events", "Retrieving event authorisation information"): single events, the state before an
 * event with its auth chain, auth chains, backfill, get_missing_events and timestamp_to_event. Every
 * read first passes ServerRoomAccess (ACL, requester in the room or world-readable room); events are
 * served as that server may see them.
 *
 * Rejected events are never served (as Synapse: they are not part of the room); outliers are, when
 * asked for by ID, since they are part of the auth DAG.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import type { EventId, RoomId } from '../../core/ids/identifiers.ts';
import { computeAuthChain } from '../../core/state-resolution/auth-chain.ts';
import type { Storage } from '../../storage/storage.ts';
import type { EventStore, LocalEvent } from '../rooms/event-store.ts';
import type { RoomStates } from '../rooms/room-states.ts';
import type { ServerRoomAccess } from './server-room-access.ts';

/** A transaction-shaped answer (definitions/single_pdu_transaction.yaml, unlimited_pdu_transaction.yaml). */
export interface PduTransaction {
  origin: string;
  origin_server_ts: number;
  pdus: JsonObject[];
}

export interface MissingEventsRequest {
  earliestEvents: readonly string[];
  latestEvents: readonly string[];
  limit?: number;
  minDepth?: number;
}

/** Upper bounds on one request's walk, so a request cannot make this server read a whole room. */
export const maxBackfillLimit = 100;
export const maxMissingEventsLimit = 100;
/** backfill.yaml: get_missing_events' `limit` "Defaults to 10". */
const defaultMissingEventsLimit = 10;

export class RoomReadsForServers {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly access: ServerRoomAccess,
    private readonly serverName: string,
    private readonly clock: () => number,
  ) {}

  /** GET /event/{eventId}: "A transaction containing a single PDU which is the event requested." */
  async event(origin: string, eventId: string): Promise<PduTransaction> {
    const local = await this.eventStore.localEvent(eventId);
    if (!local || local.rejected) throw new MatrixError('M_NOT_FOUND', `Could not find event ${eventId}`);
    await this.access.assertMayRead(origin, local.event.roomId, local);
    return this.transaction(await this.access.pdusFor(origin, [local]));
  }

  /** GET /state/{roomId}: "The fully resolved state for the room, prior to considering any state changes induced by the requested event." */
  async state(origin: string, roomId: RoomId, eventId: string): Promise<{ pdus: JsonObject[]; auth_chain: JsonObject[] }> {
    const { state, authChain } = await this.stateBefore(origin, roomId, eventId);
    const events = await this.eventStore.getEvents([...state, ...authChain]);
    const pick = (ids: readonly EventId[]) => ids.flatMap((id) => events.get(id) ?? []);
    return { pdus: await this.access.pdusOf(pick(state)), auth_chain: await this.access.pdusOf(pick(authChain)) };
  }

  /** GET /state_ids/{roomId}: the same as /state, as event IDs. */
  async stateIds(origin: string, roomId: RoomId, eventId: string): Promise<{ pdu_ids: string[]; auth_chain_ids: string[] }> {
    const { state, authChain } = await this.stateBefore(origin, roomId, eventId);
    return { pdu_ids: state, auth_chain_ids: authChain };
  }

  /** GET /event_auth/{roomId}/{eventId}: "the complete auth chain for a given event". */
  async eventAuth(origin: string, roomId: RoomId, eventId: string): Promise<{ auth_chain: JsonObject[] }> {
    const local = await this.eventInRoom(origin, roomId, eventId);
    const chain = await this.sortedAuthChain([local.event.eventId]);
    const events = await this.eventStore.getEvents(chain);
    return { auth_chain: await this.access.pdusOf(chain.flatMap((id) => events.get(id) ?? [])) };
  }

  /**
   * GET /backfill/{roomId}: "the PDUs given in `v` and the PDUs that preceded them ... up to the total
   * number given by the `limit`": a walk of prev_events that always takes the deepest (newest) event
   * reached next, so the answer runs newest first. Unknown IDs in `v` are ignored.
   */
  async backfill(origin: string, roomId: RoomId, from: readonly string[], limit: number): Promise<PduTransaction> {
    await this.access.assertMayRead(origin, roomId);
    const max = Math.min(Math.max(limit, 0), maxBackfillLimit);
    const seen = new Set<string>(from);
    const frontier = await this.eventsOfRoom(roomId, from);
    const result: LocalEvent[] = [];
    while (result.length < max && frontier.length > 0) {
      const next = frontier.splice(deepest(frontier), 1)[0]!;
      result.push(next);
      const prevs = next.event.prevEventIds.filter((id) => !seen.has(id));
      for (const id of prevs) seen.add(id);
      frontier.push(...(await this.eventsOfRoom(roomId, prevs)));
    }
    return this.transaction(await this.access.pdusFor(origin, result));
  }

  /**
   * POST /get_missing_events/{roomId}: "a breadth-first walk of the prev_events for the latest_events,
   * ignoring any events in earliest_events and stopping at the limit"; events below min_depth end the
   * walk along their edge. The latest events themselves are not returned. Oldest first.
   */
  async missingEvents(origin: string, roomId: RoomId, request: MissingEventsRequest): Promise<{ events: JsonObject[] }> {
    await this.access.assertMayRead(origin, roomId);
    const limit = Math.min(Math.max(request.limit ?? defaultMissingEventsLimit, 0), maxMissingEventsLimit);
    const minDepth = request.minDepth ?? 0;
    const seen = new Set<string>([...request.earliestEvents, ...request.latestEvents]);
    let front = await this.eventsOfRoom(roomId, request.latestEvents.filter((id) => !request.earliestEvents.includes(id)));
    const found: LocalEvent[] = [];
    while (front.length > 0 && found.length < limit) {
      const prevs: string[] = [];
      for (const local of front) {
        for (const id of local.event.prevEventIds) {
          if (seen.has(id)) continue;
          seen.add(id);
          prevs.push(id);
        }
      }
      front = (await this.eventsOfRoom(roomId, prevs)).filter((local) => local.event.depth >= minDepth).slice(0, limit - found.length);
      found.push(...front);
    }
    found.sort((a, b) => a.event.depth - b.event.depth || (a.streamPosition ?? 0) - (b.streamPosition ?? 0));
    return { events: await this.access.pdusFor(origin, found) };
  }

  /** GET /timestamp_to_event/{roomId}: the room's event closest to `ts` in direction `dir`. */
  async eventAtTimestamp(origin: string, roomId: RoomId, ts: number, dir: 'f' | 'b'): Promise<{ event_id: string; origin_server_ts: number }> {
    await this.access.assertMayRead(origin, roomId);
    // Skip over rejected events, a bounded number of times.
    for (let skip = 0; skip < 100; skip++) {
      const stored = await this.storage.roomEvents.closestToTimestamp(roomId, ts, dir, skip);
      if (!stored) break;
      if (stored.rejectedReason === null) return { event_id: stored.eventId, origin_server_ts: stored.originServerTs };
    }
    throw new MatrixError('M_NOT_FOUND', `Unable to find event from ${ts} in ${dir === 'f' ? 'forward' : 'backward'} direction`);
  }

  /** The state before the event and its auth chain, as event IDs; the 404 of state_ids.yaml when either is unknown. */
  private async stateBefore(origin: string, roomId: RoomId, eventId: string): Promise<{ state: EventId[]; authChain: EventId[] }> {
    const local = await this.eventInRoom(origin, roomId, eventId);
    if (local.stateBeforeGroup === null) throw new MatrixError('M_NOT_FOUND', `The state at event ${eventId} is not known here`);
    const state = [...(await this.roomStates.stateOfGroup(local.stateBeforeGroup)).values()];
    // "The full set of authorisation events that make up the state of the room, and their authorisation events, recursively."
    return { state, authChain: await this.sortedAuthChain(state) };
  }

  /** The auth chain oldest first (by depth), so a receiver can check it in order. */
  private async sortedAuthChain(ids: readonly EventId[]): Promise<EventId[]> {
    const chain = await computeAuthChain(ids, this.eventStore);
    const events = await this.eventStore.getEvents([...chain]);
    const depth = (id: EventId) => events.get(id)?.depth ?? 0;
    return [...chain].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  /** An event of the room the requester may read: 404 for an unknown room or event, 403 when access is denied. */
  private async eventInRoom(origin: string, roomId: RoomId, eventId: string): Promise<LocalEvent> {
    await this.eventStore.roomRules(roomId);
    const local = await this.eventStore.localEvent(eventId);
    const found = local && local.event.roomId === roomId && !local.rejected ? local : undefined;
    await this.access.assertMayRead(origin, roomId, found);
    if (!found) throw new MatrixError('M_NOT_FOUND', `Could not find event ${eventId}`);
    return found;
  }

  /** The stored, not rejected events of the room among `ids`, in the order of `ids`. */
  private async eventsOfRoom(roomId: RoomId, ids: readonly string[]): Promise<LocalEvent[]> {
    if (ids.length === 0) return [];
    const found = await this.eventStore.localEvents(ids);
    return ids.flatMap((id) => {
      const local = found.get(id as EventId);
      return local && local.event.roomId === roomId && !local.rejected ? [local] : [];
    });
  }

  private transaction(pdus: JsonObject[]): PduTransaction {
    return { origin: this.serverName, origin_server_ts: this.clock(), pdus };
  }
}

/** The index of the deepest event (the newest), the earliest reached among equals. */
function deepest(events: readonly LocalEvent[]): number {
  let best = 0;
  for (let i = 1; i < events.length; i++) if (events[i]!.event.depth > events[best]!.event.depth) best = i;
  return best;
}
