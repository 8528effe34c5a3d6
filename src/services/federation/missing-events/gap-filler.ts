/**
 * Filling the gap before a received event whose prev events are unknown here (server-server-api
 * "Checks performed on receipt of a PDU": "the server should try to fetch them ... using
 * get_missing_events"; "Retrieving missing events"). First the origin is asked for the events between
 * the room's forward extremities and the event (at most `missingEventsLimit`), which go through the
 * full checks on receipt, oldest first; the event itself follows. When the gap is wider than that, or
 * the origin cannot say, the state before the event is fetched instead (RemoteState), so the room goes
 * on: the event joins the room's DAG as a branch whose state is resolved with the room's.
 *
 * Floods and recursion: one gap fill per room at a time (a second waits, then usually finds its gap
 * closed); the events fetched for a gap never start a gap fill of their own, and at most
 * `nestedStateFetches` of them may have their state fetched (the oldest of a wide gap); so one PDU
 * costs at most one get_missing_events of `missingEventsLimit` events and two state fetches.
 *
 * Lock order: the room's gap-fill lock, then the timeline's room lock (taken by each append).
 */
import type { RoomEvent } from '../../../core/events/pdu.ts';
import type { EventId } from '../../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import type { Storage } from '../../../storage/storage.ts';
import { KeyedMutex } from '../../../util/keyed-mutex.ts';
import { isJsonObject } from '../../../core/canonical-json.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates, StateMap } from '../../rooms/room-states.ts';
import { stateBeforeEvent } from '../inbound-pdu/state-before.ts';
import type { RemoteState } from './remote-state.ts';
import type { RoomHistoryRequests } from './room-history-requests.ts';

/** backfill.yaml: get_missing_events' `limit` "Defaults to 10" (Synapse asks for 10 too). */
export const missingEventsLimit = 10;
/** Events fetched for a gap whose own prev events stay unknown may have their state fetched this many times per gap. */
const nestedStateFetches = 1;

/** What the events fetched for a gap may still fetch themselves. */
export interface FetchBudget {
  stateFetches: number;
}

export type StateBefore = { group: number | null; state: StateMap };

/** Processes an event fetched for the gap through the checks on receipt, within `budget`. */
export type FetchedEventReceiver = (pdu: unknown, budget: FetchBudget) => Promise<unknown>;

export class GapFiller {
  private readonly roomLocks = new KeyedMutex();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly requests: RoomHistoryRequests,
    private readonly remoteState: RemoteState,
    private readonly onFailure: (what: string, error: unknown) => void = () => undefined,
  ) {}

  /**
   * Fills the gap before `event` from `origin`: 'known' when the event was stored meanwhile, else the
   * state before it, or undefined when neither the missing events nor the state could be had.
   */
  async fill(event: RoomEvent, rules: RoomVersionRules, origin: string, receive: FetchedEventReceiver): Promise<'known' | StateBefore | undefined> {
    return this.roomLocks.run(event.roomId, async () => {
      // Another gap fill may have done the work while this one waited.
      if (await this.eventStore.localEvent(event.eventId)) return 'known';
      const ready = await stateBeforeEvent(event, rules, this.eventStore, this.roomStates);
      if (ready) return ready;
      const budget: FetchBudget = { stateFetches: nestedStateFetches };
      for (const pdu of await this.missingEvents(event, origin)) {
        await receive(pdu, budget).catch((error: unknown) => this.onFailure(`processing an event fetched for the gap before ${event.eventId}`, error));
      }
      const closed = await stateBeforeEvent(event, rules, this.eventStore, this.roomStates);
      if (closed) return closed;
      try {
        return await this.remoteState.stateBefore(event, rules, origin);
      } catch (error) {
        this.onFailure(`fetching the state before ${event.eventId} from ${origin}`, error);
        return undefined;
      }
    });
  }

  /** The events between the room's forward extremities and `event` that `origin` gives, oldest first. */
  private async missingEvents(event: RoomEvent, origin: string): Promise<unknown[]> {
    const extremities = await this.storage.roomEvents.forwardExtremities(event.roomId);
    const depths = [...(await this.eventStore.getEvents(extremities as EventId[])).values()].map((extremity) => extremity.depth);
    try {
      const events = await this.requests.missingEvents(origin, event.roomId, {
        earliest: extremities,
        latest: [event.eventId],
        limit: missingEventsLimit,
        minDepth: depths.length > 0 ? Math.min(...depths) : 0,
      });
      // "oldest first" is what the spec's servers send; sorting by depth makes it so whatever the order.
      const depthOf = (pdu: unknown) => (isJsonObject(pdu) && typeof pdu.depth === 'number' ? pdu.depth : 0);
      return events.filter((pdu) => depthOf(pdu) < event.depth).sort((a, b) => depthOf(a) - depthOf(b));
    } catch (error) {
      this.onFailure(`get_missing_events for ${event.eventId} from ${origin}`, error);
      return [];
    }
  }
}
