/**
 * The room's past from its other servers, for clients paginating back past the oldest event this
 * server has (server-server-api "Backfilling and retrieving missing events"; client-server-api
 * "GET /messages"): a server that joined a room late sees its earlier history.
 *
 * The backward edge is the prev events of the room's oldest timeline events that are not in the
 * timeline here (unknown, or held as outliers from a join's state). One of the room's servers is asked
 * for /backfill from there; each event of its answer that the edge leads to goes through the checks on receipt
 * (PduReceiver.receiveHistory), oldest first, where the state before the oldest is fetched
 * (/state_ids) since its prev events are unknown.
 *
 * Stream positions: history goes below the timeline. The `backfill` counter only grows, and an event
 * it numbers takes minus the counter, so each answer sits below everything stored before it (it is
 * older: it precedes the room's oldest events), and within an answer the newest event gets the
 * highest position. Positions are reserved for the whole answer before its events are stored (the
 * checks of each need the ones before it stored), so a rejected or dropped event leaves a hole, which
 * nothing minds. /sync reads positions above a `since` that is never negative, and nothing is
 * announced for these events, so /sync never serves them as new; /messages going backwards reaches
 * them after the live timeline.
 *
 * One backfill per room at a time; a backward edge that no server could extend is not asked about
 * again for a while.
 */
import { lru } from '../../../util/lru.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import { serverNameOf, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { Storage } from '../../../storage/storage.ts';
import { KeyedMutex } from '../../../util/keyed-mutex.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import { historyFloor } from '../../rooms/room-reads.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import type { PduReceiver } from '../inbound-pdu/pdu-receiver.ts';
import type { FetchBudget } from './gap-filler.ts';
import type { RoomHistoryRequests } from './room-history-requests.ts';

/** Events asked for per backfill (the other side caps it as well: room-reads-for-servers.ts). */
const maxBackfillLimit = 100;
/** The oldest timeline events whose prev events make up the backward edge. */
const edgeWindow = 20;
/** At most this many event IDs in `v`. */
const maxEdge = 10;
/** Servers asked in turn when one has nothing to give. */
const maxServersTried = 3;
/** State fetches per answer: for its oldest event, and a few where the answer itself has holes. */
const stateFetchesPerAnswer = 3;

export class Backfiller {
  private readonly roomLocks = new KeyedMutex();
  /** Backward edges no server could extend, not asked about again until they expire. */
  private readonly exhausted = lru<string, true>(10_000, { ttl: 60_000 });

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly requests: RoomHistoryRequests,
    private readonly receiver: PduReceiver,
    private readonly serverName: string,
    private readonly onFailure: (what: string, error: unknown) => void = () => undefined,
  ) {}

  /** Fetches up to `limit` events older than the room's oldest here from its other servers; how many were stored. */
  backfill(roomId: RoomId, limit: number): Promise<number> {
    return this.roomLocks.run(roomId, async () => {
      const edge = await this.backwardEdge(roomId);
      if (edge.length === 0) return 0;
      const key = `${roomId}\u0000${edge.join('\u0000')}`;
      if (this.exhausted.has(key)) return 0;
      for (const server of (await this.serversOf(roomId)).slice(0, maxServersTried)) {
        let pdus: unknown[];
        try {
          pdus = await this.requests.backfill(server, roomId, edge, Math.min(Math.max(limit, 1), maxBackfillLimit));
        } catch (error) {
          this.onFailure(`backfill of ${roomId} from ${server}`, error);
          continue;
        }
        const stored = await this.store(roomId, server, edge, pdus);
        if (stored > 0) return stored;
      }
      this.exhausted.set(key, true);
      return 0;
    });
  }

  /** The prev events of the room's oldest timeline events that are not in the timeline here. */
  private async backwardEdge(roomId: RoomId): Promise<string[]> {
    const oldest = await this.storage.roomEvents.timelineBetween(roomId, historyFloor, Number.MAX_SAFE_INTEGER, 'f', edgeWindow);
    const events = await this.eventStore.localEvents(oldest.map((row) => row.eventId));
    const prevIds = [...new Set([...events.values()].flatMap((local) => local.event.prevEventIds))];
    const prevs = await this.eventStore.localEvents(prevIds);
    // Unknown, or an outlier (no state after it); rejected and soft-failed events cannot be had anyway.
    return prevIds.filter((id) => {
      const local = prevs.get(id);
      return !local || (!local.rejected && local.stateAfterGroup === null);
    }).slice(0, maxEdge);
  }

  /**
   * The events of a backfill answer that are history here: the events of the edge and those their prev
   * events lead to within the answer. Anything else (another room, events unrelated to the room's
   * past here) is left out, so a server cannot slip events into the history that nothing refers to.
   */
  private async precedingEdge(roomId: RoomId, edge: readonly string[], pdus: readonly unknown[]): Promise<RoomEvent[]> {
    const rules = await this.eventStore.roomRules(roomId);
    const byId = new Map<string, RoomEvent>();
    for (const pdu of pdus) {
      try {
        // (A v12 create event has no room_id: its event ID makes the room ID.)
        const event = toRoomEvent(checkPduFormat(pdu, rules), rules);
        if (event.roomId === roomId) byId.set(event.eventId, event);
      } catch {
        // Not an event of this room version: the receiver would drop it too.
      }
    }
    const reached = new Map<string, RoomEvent>();
    const queue = [...edge];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const event = byId.get(id);
      if (!event || reached.has(id)) continue;
      reached.set(id, event);
      queue.push(...event.prevEventIds);
    }
    return [...reached.values()];
  }

  /** The other servers with members joined to the room, those with the most members first. */
  private async serversOf(roomId: RoomId): Promise<string[]> {
    const counts = new Map<string, number>();
    for (const member of await this.roomStates.members(roomId, ['join'])) {
      const server = serverNameOf(member as UserId);
      if (server && server !== this.serverName) counts.set(server, (counts.get(server) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1]).map(([server]) => server);
  }

  /** Stores a backfill answer below the room's history (see the file comment); how many events entered it. */
  private async store(roomId: RoomId, server: string, edge: readonly string[], pdus: readonly unknown[]): Promise<number> {
    // Newest first: the newest takes the highest of the reserved positions.
    const candidates = (await this.precedingEdge(roomId, edge, pdus)).sort((a, b) => b.depth - a.depth || b.originServerTs - a.originServerTs).map((event) => event.pdu);
    if (candidates.length === 0) return 0;
    const first = await this.storage.streamCounters.nextPositions('backfill', candidates.length);
    const budget: FetchBudget = { stateFetches: stateFetchesPerAnswer };
    let stored = 0;
    for (let i = candidates.length - 1; i >= 0; i--) {
      try {
        const outcome = await this.receiver.receiveHistory(candidates[i], roomId, server, -(first + i), budget);
        if (outcome.outcome === 'accepted') stored++;
      } catch (error) {
        this.onFailure(`storing a backfilled event of ${roomId}`, error);
      }
    }
    return stored;
  }
}
