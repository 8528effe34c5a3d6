/**
 * A PDU from another server, through server-server-api "Checks performed on receipt of a PDU" in order,
 * into the timeline (DESIGN "The event path"):
 *   1. a valid event of a room this server is in (else dropped);
 *   2. signed by every server that must sign it (else dropped);
 *   3. content hash matches (else processed redacted);
 *   4. allowed by its auth events (else rejected);
 *   5. allowed by the state before it (else rejected);
 *   6. allowed by the room's current state (else soft-failed) — in Timeline.appendReceived, under the room's lock.
 * Rejected and soft-failed events are stored (so they are not fetched or checked again) but never
 * served to clients.
 *
 * What is missing is asked of the server the event came from (`origin`): auth events before step 4
 * (/event_auth, RemoteState), and, where prev events are unknown, the events of the gap
 * (get_missing_events, GapFiller) or else the state before the event (/state_ids). Without an origin,
 * or without `fetching`, an event whose prev events are unknown is dropped.
 *
 * The same checks take the room's past fetched by backfill (`receiveHistory`): those events go into
 * the history below the timeline (Timeline.appendBackfilled) instead, and step 6 does not apply.
 *
 * The PDUs of a transaction are pipelined: a message (a non-state event that was not rejected) is
 * handed to the timeline and the next PDU checked while it commits, so a transaction's events commit
 * together instead of one commit each. What the next PDU needs of a handed message is the state
 * before (and so after) it, held here until the commit; since only non-state events are left in
 * flight, every state and auth event the checks read is committed. Any other event is awaited.
 */
import { MatrixError } from '../../../core/errors.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import { isJsonObject } from '../../../core/canonical-json.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import type { Timeline } from '../../rooms/timeline.ts';
import type { FetchBudget, GapFiller, StateBefore } from '../missing-events/gap-filler.ts';
import type { RemoteState } from '../missing-events/remote-state.ts';
import { checkAgainstAuthEvents } from './check-auth-events.ts';
import { withCheckedContentHash } from './check-hashes.ts';
import { checkSignatures, type ServerKeyLookup } from './check-signatures.ts';
import { checkAgainstState, stateBeforeEvent } from './state-before.ts';

export type PduOutcome =
  | { outcome: 'accepted'; eventId: string; redacted: boolean }
  | { outcome: 'rejected' | 'soft-failed'; eventId: string; reason: string }
  | { outcome: 'known'; eventId: string }
  | { outcome: 'dropped'; eventId?: string; reason: string };

/** What the receiver may ask other servers for. */
export interface MissingEventFetching {
  gaps: GapFiller;
  remoteState: RemoteState;
  onFailure?: (what: string, error: unknown) => void;
}

/**
 * How an event arrives: new (in a transaction, or fetched for the gap before one: then with the
 * gap's `budget`), or from the room's past (backfill), at the stream position reserved for it.
 */
type Arrival =
  | { kind: 'new'; origin: string | undefined; budget?: FetchBudget; /** Commits not waited for (see receive). */ pipeline?: Promise<unknown>[] }
  | { kind: 'history'; roomId: string; origin: string; position: number; budget: FetchBudget; pipeline?: undefined };

/** A room's messages handed to the timeline and not committed yet, with the state before each. */
interface InFlight {
  states: Map<string, StateBefore>;
  commits: Set<Promise<unknown>>;
}

export class PduReceiver {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly timeline: Timeline,
    private readonly keys: ServerKeyLookup,
    private readonly fetching?: MissingEventFetching,
  ) {}

  /**
   * Puts what was received on disk: received events commit without waiting for it (their batches
   * share an fsync), so whoever answers another server for them calls this first.
   */
  flush(): Promise<void> {
    return this.storage.flush();
  }

  /**
   * A new event, sent by `origin` (which is asked for what is missing; nothing is fetched without it).
   * With `pipeline`, a message may be answered before it commits: its commit is added to `pipeline`,
   * which the caller awaits before acknowledging it.
   */
  receive(json: unknown, origin?: string, pipeline?: Promise<unknown>[]): Promise<PduOutcome> {
    return this.process(json, { kind: 'new', origin, pipeline });
  }

  /**
   * An event of the past of `roomId` that `origin` gave in a backfill answer, into the history at
   * `position`; its prev events may stay unknown: the state before it is then fetched, within `budget`.
   */
  receiveHistory(json: unknown, roomId: string, origin: string, position: number, budget: FetchBudget): Promise<PduOutcome> {
    return this.process(json, { kind: 'history', roomId, origin, position, budget });
  }

  private async process(json: unknown, arrival: Arrival): Promise<PduOutcome> {
    // 1. Format, in a room whose version this server knows (it is in the room).
    // (A backfilled v12 create event has no room_id: its event ID makes the room ID, checked below.)
    const roomId = isJsonObject(json) && typeof json.room_id === 'string' ? json.room_id : arrival.kind === 'history' && isJsonObject(json) && json.type === 'm.room.create' ? arrival.roomId : undefined;
    if (roomId === undefined) return { outcome: 'dropped', reason: 'no room_id' };
    let rules: Readonly<RoomVersionRules>;
    try {
      rules = await this.eventStore.roomRules(roomId);
    } catch {
      return { outcome: 'dropped', reason: `not in room ${roomId}` };
    }
    let event: RoomEvent;
    try {
      event = toRoomEvent(checkPduFormat(json, rules), rules);
    } catch (error) {
      return { outcome: 'dropped', reason: error instanceof MatrixError ? error.message : 'not a valid event' };
    }
    if (event.roomId !== roomId) return { outcome: 'dropped', eventId: event.eventId, reason: 'room_id does not match the room' };
    if (this.inFlight.get(roomId)?.states.has(event.eventId)) return { outcome: 'known', eventId: event.eventId };
    const stored = await this.eventStore.localEvent(event.eventId);
    // An outlier (known as part of the auth DAG only) that arrives, new or in the room's past, takes its place there.
    const replacesOutlier = stored !== undefined && !stored.rejected && stored.stateAfterGroup === null;
    if (stored && !replacesOutlier) return { outcome: 'known', eventId: event.eventId };
    // 2. Signatures.
    const unsigned = await checkSignatures(event, rules, this.keys);
    if (unsigned) return { outcome: 'dropped', eventId: event.eventId, reason: unsigned };
    // 3. Hashes.
    const checked = withCheckedContentHash(event, rules);
    event = checked.event;
    // 5 needs the state before the event, from its prev events (or, where they are missing, from the origin).
    let before = (await this.stateBeforeInFlight(event)) ?? (await stateBeforeEvent(event, rules, this.eventStore, this.roomStates));
    if (!before) {
      const filled = await this.missingPrevEvents(event, rules, arrival);
      if (filled === 'known') return { outcome: 'known', eventId: event.eventId };
      before = filled;
    }
    if (!before) return { outcome: 'dropped', eventId: event.eventId, reason: 'prev events unknown here' };
    if (arrival.origin !== undefined && this.fetching) {
      await this.fetching.remoteState.fetchMissingAuthEvents(event, rules, arrival.origin).catch((error: unknown) => this.fetching?.onFailure?.(`fetching the auth events of ${event.eventId}`, error));
    }
    if (before.group === null && before.state.size > 0) before.group = await this.storage.stateGroups.create(event.roomId, before.state);
    // 4 and 5: a failure rejects the event, which is stored as rejected.
    const rejectedReason = (await checkAgainstAuthEvents(event, rules, this.eventStore)) ?? (await checkAgainstState(event, before.state, rules, this.roomStates));
    if (arrival.kind === 'history') {
      const appended = await this.timeline.appendBackfilled(event, before, rejectedReason, arrival.position, replacesOutlier);
      if (!appended) return { outcome: 'rejected', eventId: event.eventId, reason: rejectedReason ?? 'rejected' };
      return { outcome: 'accepted', eventId: event.eventId, redacted: checked.redacted };
    }
    // 6 (soft failure) runs under the room's lock in the timeline.
    const { softFailed, committed } = await this.timeline.handReceived(event, before, rejectedReason, replacesOutlier);
    if (arrival.pipeline && rejectedReason === null && event.stateKey === undefined && before.group !== null) {
      this.holdInFlight(event, before, committed);
      arrival.pipeline.push(committed);
    } else {
      await committed;
    }
    if (rejectedReason !== null) return { outcome: 'rejected', eventId: event.eventId, reason: rejectedReason };
    if (softFailed) return { outcome: 'soft-failed', eventId: event.eventId, reason: 'not allowed by the current state of the room' };
    return { outcome: 'accepted', eventId: event.eventId, redacted: checked.redacted };
  }

  /**
   * The state before an event whose prev events are messages in flight (see the class comment), when
   * they all had the same; after waiting for the room's commits when only some prev events are in flight.
   */
  private async stateBeforeInFlight(event: RoomEvent): Promise<StateBefore | undefined> {
    const room = this.inFlight.get(event.roomId);
    if (!room || !event.prevEventIds.some((id) => room.states.has(id))) return undefined;
    const befores = new Set(event.prevEventIds.map((id) => room.states.get(id)));
    const [only] = befores;
    if (befores.size === 1 && only) return only;
    await Promise.allSettled(room.commits);
    return undefined;
  }

  private holdInFlight(event: RoomEvent, before: StateBefore, committed: Promise<unknown>): void {
    let room = this.inFlight.get(event.roomId);
    if (!room) this.inFlight.set(event.roomId, (room = { states: new Map(), commits: new Set() }));
    room.states.set(event.eventId, before);
    room.commits.add(committed);
    // After the commit the event store knows the event (the timeline told it before `committed` settled).
    const release = () => {
      room.states.delete(event.eventId);
      room.commits.delete(committed);
      if (room.commits.size === 0 && this.inFlight.get(event.roomId) === room) this.inFlight.delete(event.roomId);
    };
    committed.then(release, release);
  }

  /**
   * The state before an event whose prev events are not all known here: a new event's gap is filled
   * (GapFiller); an event fetched for a gap, or from the past, has the state before it fetched while
   * its budget lasts. 'known' when the event was stored meanwhile.
   */
  private async missingPrevEvents(event: RoomEvent, rules: RoomVersionRules, arrival: Arrival): Promise<'known' | StateBefore | undefined> {
    const { origin, budget } = arrival;
    if (!this.fetching || origin === undefined) return undefined;
    if (budget === undefined) return this.fetching.gaps.fill(event, rules, origin, (pdu, gapBudget) => this.process(pdu, { kind: 'new', origin, budget: gapBudget }));
    if (budget.stateFetches <= 0) return undefined;
    budget.stateFetches--;
    try {
      return await this.fetching.remoteState.stateBefore(event, rules, origin);
    } catch (error) {
      this.fetching.onFailure?.(`fetching the state before ${event.eventId} from ${origin}`, error);
      return undefined;
    }
  }
}
