/**
 * The one writer of room events, with group commit (DESIGN "The event path"). Appends hand it events
 * that are built and authorised; it writes every event waiting when a transaction starts in that one
 * transaction (events of many rooms, and several of one room built on each other), and settles each
 * event's promise only once the transaction has committed, so an acknowledged event is durable while
 * a durable commit (an fsync of SQLite's WAL, a PostgreSQL commit) is paid once per batch instead of per event.
 *
 * One transaction runs at a time and the queue is first in, first out, so stream positions are taken
 * and committed in order: a reader that sees position N committed sees every position below it.
 *
 * An event of a room can be built while the event before it is still waiting here, so it may refer to
 * a state group that does not exist yet: a PendingStateGroup, whose ID is known once its writer
 * commits. If a batch fails, its events are written again one transaction each, so only the events
 * that fail on their own (and the events built on them, which fail with DependencyFailedError and are
 * built again by the timeline) are refused.
 */
import { lru } from '../../util/lru.ts';
import { stateKeyOf, type RoomEvent } from '../../core/events/pdu.ts';
import type { TransactionKey } from '../../storage/repositories/client-transactions.ts';
import { storedEventOf, type CurrentStateChange } from '../../storage/repositories/room-events.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import { TransactionKeyTaken } from '../client-transactions.ts';
import type { StateMap } from './room-states.ts';

export interface AppendedEvent {
  event: RoomEvent;
  streamPosition: number;
}

/**
 * Work that must commit atomically with events (push actions, per-user counters): runs once per batch
 * inside the transaction that persists it, after the events' rows are written, with each event and the
 * room state after it. It may return, per event, what to do once the transaction has committed
 * (update a cache): the timeline runs it in commit order, before anyone hears of the event; it must
 * not throw.
 */
export type PersistHook = (tx: Repositories, events: ReadonlyArray<{ appended: AppendedEvent; stateAfter: StateMap }>) => Promise<ReadonlyArray<AfterCommit | undefined> | void>;
export type AfterCommit = () => void;

/** A state group written with an event that is still being committed; `id` is set after the commit. */
export class PendingStateGroup {
  id: number | undefined;
}

/** A state group by ID, a pending one, or none (before a room's create event). */
export type StateGroupRef = number | null | PendingStateGroup;

/** The event was built on an event that failed to persist: it must be built again. */
export class DependencyFailedError extends Error {
  constructor(eventId: string) {
    super(`${eventId} was built on an event that failed to persist`);
  }
}

export interface PersistRequest {
  event: RoomEvent;
  before: { group: StateGroupRef; state: StateMap };
  /** The state after the event: the same `group` as before unless the event writes a new snapshot. */
  after: { group: StateGroupRef; state: StateMap };
  /** Runs first in the transaction (the create event writes its room's row). */
  first?: (tx: Repositories) => Promise<void>;
  /**
   * The client transaction the event was sent under (client-server-api "Transaction identifiers"):
   * recorded with it, the response being `{event_id}`; a key recorded before fails the event with
   * TransactionKeyTaken.
   */
  transaction?: { key: TransactionKey; recordedTs: number };
  /** For an event received from another server: how it fared in the checks on receipt. */
  received?: ReceivedEventOutcome;
}

/**
 * server-server-api "Checks performed on receipt of a PDU": a rejected event is stored (so it is not
 * fetched again) but is not part of the timeline, the state or the forward extremities; a soft-failed
 * event is stored with its state but is not served to clients and no new event refers to it.
 * `current` is the room's current state after an accepted event when it is not simply the state
 * after it (the event's branch met another): with the changes to current_state it brings.
 */
export interface ReceivedEventOutcome {
  rejectedReason: string | null;
  softFailed: boolean;
  /** The event is stored as an outlier (fetched as an auth event before it arrived): its row takes its place. */
  replacesOutlier?: boolean;
  current?: { group: StateGroupRef; state: StateMap; changes: CurrentStateChange[] };
}

/** Whether the event takes a place in the timeline (a stream position) and in the room's DAG tips. */
export function inTimeline(request: Pick<PersistRequest, 'received'>): boolean {
  return !request.received || (request.received.rejectedReason === null && !request.received.softFailed);
}

export interface PersistedEvent {
  /** The event and its stream position; a rejected or soft-failed event has none. */
  appended: AppendedEvent | null;
  event: RoomEvent;
  stateBeforeGroup: number | null;
  stateAfterGroup: number;
  /** What the persist hooks asked to do after the commit. */
  afterCommit: AfterCommit[];
}

interface Queued {
  request: PersistRequest;
  resolve: (persisted: PersistedEvent) => void;
  reject: (error: unknown) => void;
}

/** Enough events per transaction to amortise its commit, few enough to keep it short. */
const maxBatch = 128;

export class EventPersister {
  private queue: Queued[] = [];
  private writing = false;
  /** Events that failed to persist, so an event built on one is refused even in a later batch. */
  private readonly failed = lru<string, true>(10_000);

  constructor(
    private readonly storage: Storage,
    private readonly hooks: readonly PersistHook[] = [],
  ) {}

  /** Persists the event with the next batch; resolves once that batch has committed. */
  persist(request: PersistRequest): Promise<PersistedEvent> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      // Yield to the event loop first, so every send of this turn of the loop is in the first batch.
      // The next batch starts as soon as a commit is done, with the sends that arrived meanwhile (group
      // commit without a timer: under load the batches grow by themselves, alone an event waits for
      // nothing); yielding again would leave the writer thread idle for a turn of a busy loop.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) await this.commitNext();
    } finally {
      this.writing = false;
    }
  }

  /**
   * Commits the next batch. It is taken from the queue only once the transaction has the writer, so
   * the events that arrived while the writer was busy (a previous commit, another writer) join it.
   */
  private async commitNext(): Promise<void> {
    let batch: Queued[] = [];
    try {
      const persisted = await this.write(() => (batch = this.queue.splice(0, maxBatch)).map((queued) => queued.request));
      batch.forEach((queued, i) => queued.resolve(persisted[i]!));
      return;
    } catch (error) {
      // The transaction did not even start: its events are all those waiting.
      if (batch.length === 0) batch = this.queue.splice(0);
      // With the database gone (closed, unreachable), writing them one by one would fail the same way.
      if (!(await this.reachable())) return batch.forEach((queued) => this.refuse(queued, error));
      if (batch.length === 1) return this.refuse(batch[0]!, await this.explain(batch[0]!.request, error));
    }
    // One event's failure must not fail the others: write them one by one, in the same order.
    for (const queued of batch) {
      try {
        queued.resolve((await this.write(() => [queued.request]))[0]!);
      } catch (error) {
        this.refuse(queued, await this.explain(queued.request, error));
      }
    }
  }

  /** Why an event alone failed: TransactionKeyTaken when its client transaction is recorded already. */
  private async explain(request: PersistRequest, error: unknown): Promise<unknown> {
    const key = request.transaction?.key;
    if (key === undefined) return error;
    const recorded = await this.storage.clientTransactions.response(key).catch(() => undefined);
    return recorded === undefined ? error : new TransactionKeyTaken(key);
  }

  private async reachable(): Promise<boolean> {
    return this.storage.ping().then(
      () => true,
      () => false,
    );
  }

  private refuse(queued: Queued, error: unknown): void {
    this.failed.set(queued.request.event.eventId, true);
    queued.reject(error);
  }

  /**
   * Writes the events `take` gives, once the transaction has started, in that transaction; their
   * pending state groups get their IDs after the commit.
   */
  private async write(take: () => readonly PersistRequest[]): Promise<PersistedEvent[]> {
    const assigned = new Map<PendingStateGroup, number>();
    const resolveGroup = (ref: StateGroupRef, eventId: string): number | null => {
      if (!(ref instanceof PendingStateGroup)) return ref;
      const id = assigned.get(ref) ?? ref.id;
      if (id === undefined) throw new DependencyFailedError(eventId);
      return id;
    };
    // A batch of events received from other servers only is acknowledged by their receiver, once per
    // transaction after Storage.flush: its commit need not wait for the disk (local events' do).
    const sync = { defer: false };
    const persisted = await this.storage.transaction(async (tx) => {
      const requests = take();
      sync.defer = requests.every((request) => request.received !== undefined);
      for (const { event } of requests) {
        if (event.prevEventIds.some((id) => this.failed.has(id))) throw new DependencyFailedError(event.eventId);
      }
      let position = await tx.streamCounters.nextPositions('events', requests.filter(inTimeline).length);
      const written: PersistedEvent[] = [];
      const currentGroups: Array<number | undefined> = [];
      for (const request of requests) {
        const { event, before, after } = request;
        await request.first?.(tx);
        const beforeGroup = resolveGroup(before.group, event.eventId);
        let afterGroup = beforeGroup;
        if (after.group !== before.group) {
          afterGroup = await tx.stateGroups.create(event.roomId, after.state, beforeGroup === null ? undefined : { id: beforeGroup, state: before.state });
          if (after.group instanceof PendingStateGroup) assigned.set(after.group, afterGroup);
        }
        if (afterGroup === null) throw new Error(`${event.eventId} has no state group after it`);
        const current = request.received?.current;
        let currentGroup: number | undefined;
        if (current) {
          if (current.group === after.group) currentGroup = afterGroup;
          else if (current.group instanceof PendingStateGroup && current.group.id === undefined && !assigned.has(current.group)) {
            // A current state resolved from branches: a snapshot of its own, a delta on the event's.
            currentGroup = await tx.stateGroups.create(event.roomId, current.state, { id: afterGroup, state: after.state });
            assigned.set(current.group, currentGroup);
          } else currentGroup = resolveGroup(current.group, event.eventId) ?? undefined;
        }
        currentGroups.push(currentGroup);
        const appended = inTimeline(request) ? { event, streamPosition: position++ } : null;
        written.push({ appended, event, stateBeforeGroup: beforeGroup, stateAfterGroup: afterGroup, afterCommit: [] });
      }
      const rows = written.map(({ appended, event, stateBeforeGroup, stateAfterGroup }, i) =>
        storedEventOf(event, {
          streamPosition: appended?.streamPosition ?? null,
          outlier: false,
          rejectedReason: requests[i]!.received?.rejectedReason ?? null,
          softFailed: requests[i]!.received?.softFailed ?? false,
          stateBeforeGroup,
          stateAfterGroup,
        }),
      );
      const promoted = rows.filter((_, i) => requests[i]!.received?.replacesOutlier);
      await tx.roomEvents.insertEvents(promoted.length === 0 ? rows : rows.filter((_, i) => !requests[i]!.received?.replacesOutlier));
      for (const event of promoted) {
        if (!(await tx.roomEvents.promoteOutlier(event))) throw new Error(`${event.eventId} is no longer an outlier`);
      }
      await writeRoomChanges(
        tx,
        written.flatMap((persisted, i) => (persisted.appended ? [{ ...persisted, appended: persisted.appended, current: requests[i]!.received?.current, currentGroup: currentGroups[i] }] : [])),
      );
      const timeline = written.flatMap((persisted, i) => (persisted.appended ? [{ persisted, appended: persisted.appended, stateAfter: requests[i]!.after.state }] : []));
      for (const hook of this.hooks) {
        const afterCommits = (await hook(tx, timeline)) ?? [];
        afterCommits.forEach((afterCommit, i) => afterCommit && timeline[i]!.persisted.afterCommit.push(afterCommit));
      }
      await recordTransactions(tx, requests, written);
      return written;
    }, { sync });
    for (const [group, id] of assigned) group.id = id;
    return persisted;
  }
}

/** The client transactions of the batch's events: their transaction IDs and responses, one statement each. */
async function recordTransactions(tx: Repositories, requests: readonly PersistRequest[], written: readonly PersistedEvent[]): Promise<void> {
  const sent = requests.flatMap(({ transaction }, i) => (transaction ? [{ ...transaction, eventId: written[i]!.event.eventId }] : []));
  if (sent.length === 0) return;
  await tx.roomEvents.recordTransactionIds(sent.map(({ key, eventId }) => ({ eventId, userId: key.userId, deviceId: key.deviceId, txnId: key.txnId })));
  // A key recorded before fails the transaction; the event, written again alone, is then explained.
  await tx.clientTransactions.recordAll(sent.map(({ key, eventId }) => ({ key, response: { event_id: eventId } })), sent[0]!.recordedTs);
}

/**
 * What the timeline's events change in their rooms, once per room for the batch: forward extremities,
 * current state (the last change of each key wins, or the current state a received event's branch
 * resolved to) and its snapshot; redactions and join rules per event.
 */
async function writeRoomChanges(
  tx: Repositories,
  written: ReadonlyArray<{ appended: AppendedEvent; stateBeforeGroup: number | null; stateAfterGroup: number; current?: ReceivedEventOutcome['current']; currentGroup?: number }>,
): Promise<void> {
  const rooms = new Map<string, { events: RoomEvent[]; state: Map<string, CurrentStateChange>; group?: number }>();
  for (const { appended: { event }, stateBeforeGroup, stateAfterGroup, current, currentGroup } of written) {
    let room = rooms.get(event.roomId);
    if (!room) rooms.set(event.roomId, (room = { events: [], state: new Map() }));
    room.events.push(event);
    if (current) {
      for (const change of current.changes) room.state.set(stateKeyOf(change.type, change.stateKey), change);
      room.group = currentGroup;
    } else {
      if (event.stateKey !== undefined) {
        const membership = event.type === 'm.room.member' ? (event.content.membership as string) : null;
        room.state.set(stateKeyOf(event.type, event.stateKey), { type: event.type, stateKey: event.stateKey, eventId: event.eventId, membership });
      }
      if (stateAfterGroup !== stateBeforeGroup) room.group = stateAfterGroup;
    }
    if (event.redacts !== undefined) await tx.roomEvents.recordRedaction(event.redacts, event.eventId);
    if (event.type === 'm.room.join_rules' && event.stateKey === '' && typeof event.content.join_rule === 'string') await tx.roomEvents.setJoinRule(event.roomId, event.content.join_rule);
  }
  const removed: Array<{ roomId: string; eventId: string }> = [];
  const added: Array<{ roomId: string; eventId: string }> = [];
  for (const [roomId, room] of rooms) {
    const referenced = new Set(room.events.flatMap((event) => event.prevEventIds));
    for (const eventId of referenced) removed.push({ roomId, eventId });
    for (const event of room.events) if (!referenced.has(event.eventId)) added.push({ roomId, eventId: event.eventId });
  }
  await tx.roomEvents.replaceForwardExtremities(removed, added);
  for (const [roomId, room] of rooms) {
    if (room.state.size > 0) await tx.roomEvents.applyCurrentStateChanges(roomId, [...room.state.values()]);
    if (room.group !== undefined) await tx.roomEvents.setCurrentStateGroup(roomId, room.group);
  }
}
