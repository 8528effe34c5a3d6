/**
 * What this server lacks to check an event, asked of a server that has it (server-server-api
 * "Checks performed on receipt of a PDU": "If the server is missing any of the event's auth events, it
 * should fetch them" and, where prev events stay unknown, "Retrieving events" for the state at the
 * event). Fetched events are checked as a send_join answer's are (check-fetched-events.ts) and stored
 * as outliers; the state before the event is then what the other server said, resolved with the state
 * after each prev event this server knows (rooms "State resolution"), so a lying server can change
 * no more than a branch of the room could.
 */
import { stateKeyOf, type RoomEvent } from '../../../core/events/pdu.ts';
import type { EventId, RoomId } from '../../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { resolveState } from '../../../core/state-resolution/resolve-state.ts';
import { createEventIdOf } from '../../../core/state-resolution/auth-state.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates, StateMap } from '../../rooms/room-states.ts';
import { checkFetchedEvents, storeOutliers } from '../inbound-pdu/check-fetched-events.ts';
import type { ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';
import type { RoomHistoryRequests } from './room-history-requests.ts';

/** Missing events up to this many are fetched one by one (/event); more, in one /state answer. */
const maxSingleFetches = 50;
/** Single fetches in flight at once. */
const fetchConcurrency = 5;

export class RemoteState {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly requests: RoomHistoryRequests,
    private readonly keys: ServerKeyLookup,
  ) {}

  /**
   * The state before `event` from `server` (/state_ids, then the events missing here), resolved with
   * the state after the prev events known here. Throws when the server cannot answer or the state it
   * gives lacks the room's create event.
   */
  async stateBefore(event: RoomEvent, rules: RoomVersionRules, server: string): Promise<{ group: null; state: StateMap }> {
    const { stateIds, authChainIds } = await this.requests.stateIds(server, event.roomId, event.eventId);
    const wanted = [...new Set([...stateIds, ...authChainIds])];
    await this.fetchMissing(server, event.roomId, rules, wanted, () => this.requests.state(server, event.roomId, event.eventId));
    const known = await this.eventStore.localEvents(stateIds);
    const fetched = new Map<ReturnType<typeof stateKeyOf>, EventId>();
    for (const id of stateIds) {
      const local = known.get(id as EventId);
      if (!local || local.rejected || local.event.roomId !== event.roomId || local.event.stateKey === undefined) continue;
      fetched.set(stateKeyOf(local.event.type, local.event.stateKey), local.event.eventId);
    }
    const createId = createEventIdOf(event.roomId, rules) ?? fetched.get(stateKeyOf('m.room.create', ''));
    if (createId === undefined || (!known.has(createId) && !(await this.eventStore.localEvent(createId)))) throw new Error(`${server} gave a state without the room's create event`);
    const prevs = await this.eventStore.localEvents(event.prevEventIds);
    const groups = [...new Set([...prevs.values()].flatMap((local) => (local.stateAfterGroup === null ? [] : [local.stateAfterGroup])))];
    if (groups.length === 0) return { group: null, state: fetched };
    const states = [...(await Promise.all(groups.map((group) => this.roomStates.stateOfGroup(group)))), fetched];
    return { group: null, state: await resolveState(event.roomId, rules, states, this.eventStore) };
  }

  /** Fetches from `server` the auth events of `event` not stored here, with their own (/event_auth). */
  async fetchMissingAuthEvents(event: RoomEvent, rules: RoomVersionRules, server: string): Promise<void> {
    const createId = createEventIdOf(event.roomId, rules);
    const ids = [...event.authEventIds, ...(createId ? [createId] : [])];
    const known = await this.eventStore.localEvents(ids);
    if (ids.every((id) => known.has(id))) return;
    const chain = await this.requests.eventAuth(server, event.roomId, event.eventId);
    await this.checkAndStore(chain, event.roomId, rules);
  }

  /** Fetches and stores the events among `ids` not stored here: one by one, or all through `all` when many. */
  private async fetchMissing(server: string, roomId: RoomId, rules: RoomVersionRules, ids: readonly string[], all: () => Promise<unknown[]>): Promise<void> {
    const known = await this.eventStore.localEvents(ids);
    const lacking = ids.filter((id) => !known.has(id as EventId));
    if (lacking.length === 0) return;
    let pdus: unknown[];
    if (lacking.length > maxSingleFetches) {
      pdus = await all();
    } else {
      pdus = [];
      const queue = [...lacking];
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const pdu = await this.requests.event(server, id).catch(() => undefined);
          if (pdu !== undefined) pdus.push(pdu);
        }
      };
      await Promise.all(Array.from({ length: Math.min(fetchConcurrency, lacking.length) }, worker));
    }
    await this.checkAndStore(pdus, roomId, rules, new Set(lacking));
  }

  private async checkAndStore(pdus: readonly unknown[], roomId: RoomId, rules: RoomVersionRules, wanted?: ReadonlySet<string>): Promise<void> {
    const stored = (ids: readonly string[]) => this.eventStore.localEvents(ids);
    const checked = await checkFetchedEvents(pdus, roomId, rules, this.keys, { stored, wanted });
    if (checked.size > 0) await this.storage.transaction((tx) => storeOutliers(tx, checked.values()));
  }
}
