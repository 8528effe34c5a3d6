/**
 * The one write path for room events (DESIGN "The event path"). A local event is built under its
 * room's lock: take the room's tip (its state and forward extremities, including events still being
 * committed), build the event (prev events, auth events chosen by the rules, depth, hashes, signature,
 * event ID), check it against the authorization rules against that state, and hand it to the
 * persister, which commits it with others in one transaction (group commit). The lock is released as
 * soon as the event is handed over, so the room's next event is built while this one commits; the
 * append resolves only after the commit. Only then do the caches learn of it and `roomEvent` go out,
 * so nobody sees an event that could still roll back.
 *
 * The tip is the room as the next event will see it. When an event fails to commit, the tip is
 * dropped and reloaded from the database once the room's other events in flight have settled; an event
 * that was built on the failed one is built again.
 *
 * Lock order: the room's mutex, then (inside the persister) the database transaction.
 */
import { storedEventOf } from '../../storage/repositories/room-events.ts';
import { lru } from '../../util/lru.ts';
import { checkEventAuth, type AuthState, type AuthVerdict } from '../../core/auth/check-event-auth.ts';
import { authEventKeys, authStateKeys } from '../../core/auth/auth-events.ts';
import { resolveState } from '../../core/state-resolution/resolve-state.ts';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { SigningKey } from '../../core/crypto/signing-key.ts';
import { MatrixError } from '../../core/errors.ts';
import { buildEvent } from '../../core/events/build-event.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../core/room-versions/room-version-rules.ts';
import type { TransactionKey } from '../../storage/repositories/client-transactions.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import { KeyedMutex } from '../../util/keyed-mutex.ts';
import type { ServerEvents } from '../server-events.ts';
import type { EventStore, LocalEvent } from './event-store.ts';
import { DependencyFailedError, EventPersister, inTimeline, PendingStateGroup, type AfterCommit, type AppendedEvent, type PersistHook, type PersistRequest, type StateGroupRef } from './event-persister.ts';
import type { RecentEvents } from './recent-events.ts';
import type { RoomStates, StateMap } from './room-states.ts';

export type { AfterCommit, AppendedEvent, PersistHook } from './event-persister.ts';

export interface EventDraft {
  roomId: RoomId;
  type: string;
  stateKey?: string;
  sender: UserId;
  content: JsonObject;
  /** For m.room.redaction: the redacted event (placed where the room version wants it). */
  redacts?: EventId;
  /** The client transaction it is sent under, recorded with it (see PersistRequest.transaction). */
  transaction?: TransactionKey;
  /**
   * For an event another server must sign too (an invite of its user, server-server-api "Inviting to
   * a room"): gets those signatures once the event is built and allowed, under the room's lock (so
   * nothing is built on the event before it is complete), and returns the event carrying them.
   */
  cosign?: (event: RoomEvent) => Promise<RoomEvent>;
}

/** The end of a room's timeline as its next event sees it, committed or not. */
interface RoomTip {
  state: StateMap;
  group: StateGroupRef;
  /** The room's forward extremities: the next event references the newest of them. */
  extremities: RoomEvent[];
}

/** rooms "prev_events": Synapse references at most 10 of the newest extremities. */
const maxPrevEvents = 10;
/** An event built on one that failed to commit is built again, a few times at most. */
const maxAttempts = 3;

export class Timeline {
  private readonly roomLocks = new KeyedMutex();
  private readonly persister: EventPersister;
  private readonly tips = lru<string, RoomTip>(10_000);
  /** Per room, the appends handed to the persister and not settled yet. */
  private readonly inFlight = new Map<string, Set<Promise<unknown>>>();
  /** Events handed to the persister and not committed yet: the auth events of the events built on them. */
  private readonly uncommitted = new Map<string, RoomEvent>();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly recentEvents: RecentEvents,
    private readonly serverEvents: ServerEvents,
    private readonly signing: { serverName: string; key: SigningKey },
    private readonly clock: () => number,
    persistHooks: readonly PersistHook[] = [],
    /** Hooks for backfilled events (the room's past), run in the transaction storing each one. */
    private readonly historyHooks: readonly PersistHook[] = [],
  ) {
    this.persister = new EventPersister(storage, persistHooks);
  }

  /**
   * Creates a room from its m.room.create event: the room ID is made here (v1–v11) or derived from
   * the create event (v12). Returns the room ID and the persisted event.
   */
  async createRoom(rules: Readonly<RoomVersionRules>, creator: UserId, content: JsonObject, isPublic: boolean): Promise<AppendedEvent> {
    const roomId = rules.roomIdFormat === 'server-generated' ? (`!${randomLocalpart()}:${this.signing.serverName}` as RoomId) : undefined;
    const { event } = buildEvent(
      { rules, roomId, type: 'm.room.create', stateKey: '', sender: creator, content, prevEvents: [], authEvents: [], depth: 1, originServerTs: this.clock() },
      this.signing,
    );
    const verdict = checkEventAuth(event, new Map(), rules);
    if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', verdict.reason);
    const first = (tx: Repositories) => tx.roomEvents.createRoom({ roomId: event.roomId, roomVersion: rules.id, creator, isPublic, createdTs: event.originServerTs, currentStateGroup: null });
    const handed = await this.roomLocks.run(event.roomId, async () => {
      const tip: RoomTip = { state: new Map(), group: null, extremities: [] };
      this.tips.set(event.roomId, tip);
      return this.handOver(event, tip, { first });
    });
    return this.published(await handed.committed);
  }

  /** Builds, authorises and persists a local event at the end of the room's timeline. */
  async append(draft: EventDraft): Promise<AppendedEvent> {
    const rules = await this.eventStore.roomRules(draft.roomId);
    for (let attempt = 1; ; attempt++) {
      try {
        const handed = await this.roomLocks.run(draft.roomId, () => this.build(rules, draft));
        return await this.published(await handed.committed);
      } catch (error) {
        if (!(error instanceof DependencyFailedError) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /**
   * Persists an event received from another server that passed the checks on receipt up to the state
   * before it (server-server-api "Checks performed on receipt of a PDU", steps 1 to 5; a failure of
   * step 4 or 5 arrives as `rejectedReason`). Step 6 runs here, under the room's lock: an event the
   * current state does not allow is soft-failed. An accepted event whose branch leaves other forward
   * extremities standing has the room's current state resolved with its own. Returns the event with
   * its stream position, or null when it was rejected or soft-failed.
   */
  async appendReceived(event: RoomEvent, stateBefore: { group: number | null; state: StateMap }, rejectedReason: string | null): Promise<{ appended: AppendedEvent | null; softFailed: boolean }> {
    const { softFailed, committed } = await this.handReceived(event, stateBefore, rejectedReason, false);
    return { appended: await committed, softFailed };
  }

  /**
   * appendReceived without waiting for the commit: once the event is handed to the persister (and
   * step 6 has decided whether it is soft-failed), the next event of the room can be checked while
   * this one commits with others. `committed` settles after the commit. An event held as an outlier
   * (`replacesOutlier`: fetched as another's auth event before it arrived) takes its place.
   */
  async handReceived(
    event: RoomEvent,
    stateBefore: { group: number | null; state: StateMap },
    rejectedReason: string | null,
    replacesOutlier: boolean,
  ): Promise<{ softFailed: boolean; committed: Promise<AppendedEvent | null> }> {
    const rules = await this.eventStore.roomRules(event.roomId);
    const handed = await this.roomLocks.run(event.roomId, async () => {
      const tip = await this.tip(event.roomId);
      const key = event.stateKey === undefined || rejectedReason !== null ? undefined : stateKeyOf(event.type, event.stateKey);
      const after = key ? { group: new PendingStateGroup() as StateGroupRef, state: new Map(stateBefore.state).set(key, event.eventId) } : stateBefore;
      let softFailed = false;
      if (rejectedReason === null) {
        const authState = await this.stateEvents(tip.state, authStateKeys(event, rules));
        softFailed = !checkEventAuth(event, authState as AuthState, rules).allowed;
      }
      const accepted = rejectedReason === null && !softFailed;
      // The event continues every branch the room has: the state after it is the room's.
      const continuesAll = tip.extremities.every((extremity) => event.prevEventIds.includes(extremity.eventId));
      let current: { group: StateGroupRef; state: StateMap } = after;
      let received: PersistRequest['received'] = { rejectedReason, softFailed, replacesOutlier };
      if (accepted && !continuesAll) {
        // The source must know the event itself and the events still being committed.
        const source = { getEvents: (ids: readonly EventId[]) => this.eventsIncludingUncommitted(ids, event) };
        const resolved = await resolveState(event.roomId, rules, [tip.state, after.state], source);
        const changed = [...resolved].filter(([stateKey, eventId]) => tip.state.get(stateKey) !== eventId);
        const changedEvents = await source.getEvents(changed.map(([, eventId]) => eventId));
        const changes = changed.map(([stateKey, eventId]) => {
          const changedEvent = changedEvents.get(eventId);
          const [type, stateKeyPart] = stateKey.split('\u0000') as [string, string];
          return { type, stateKey: stateKeyPart, eventId, membership: type === 'm.room.member' ? String(changedEvent?.content.membership) : null };
        });
        current = { group: new PendingStateGroup(), state: resolved };
        received = { ...received, current: { ...current, changes } };
      }
      return { ...this.persistOnTip(tip, { event, before: stateBefore, after, received }, current), softFailed };
    });
    return { softFailed: handed.softFailed, committed: handed.committed.then((committed) => (committed.appended ? this.published(committed) : null)) };
  }

  /**
   * Persists an event of the room's past fetched from another server (server-server-api "Backfilling
   * and retrieving missing events") that passed the checks on receipt up to the state before it
   * (steps 1 to 5). It is history, not news: it takes the (negative) stream position `position` the
   * caller reserved below the room's timeline (see Backfiller), and touches neither the room's tip
   * (forward extremities, current state) nor anyone's notifications, and no `roomEvent` goes out, so
   * /sync never serves it as new; /messages finds it going backwards. An event held as an outlier
   * (`replacesOutlier`) takes its place in the history. Returns null for a rejected event.
   */
  async appendBackfilled(event: RoomEvent, stateBefore: { group: number | null; state: StateMap }, rejectedReason: string | null, position: number, replacesOutlier: boolean): Promise<AppendedEvent | null> {
    const key = event.stateKey === undefined || rejectedReason !== null ? undefined : stateKeyOf(event.type, event.stateKey);
    const streamPosition = rejectedReason === null ? position : null;
    const afterCommits: AfterCommit[] = [];
    const local = await this.storage.transaction(async (tx): Promise<LocalEvent> => {
      const before = stateBefore.group ?? (stateBefore.state.size > 0 ? await tx.stateGroups.create(event.roomId, stateBefore.state) : null);
      const after = key ? await tx.stateGroups.create(event.roomId, new Map(stateBefore.state).set(key, event.eventId), before === null ? undefined : { id: before, state: stateBefore.state }) : before;
      const row = storedEventOf(event, { streamPosition, outlier: false, rejectedReason, softFailed: false, stateBeforeGroup: before, stateAfterGroup: after });
      if (!replacesOutlier) await tx.roomEvents.insertEvent(row);
      else if (!(await tx.roomEvents.promoteOutlier(row))) throw new Error(`${event.eventId} is no longer an outlier`);
      if (rejectedReason === null && event.redacts !== undefined) await tx.roomEvents.recordRedaction(event.redacts, event.eventId);
      if (streamPosition !== null) {
        const stateAfter = key ? new Map(stateBefore.state).set(key, event.eventId) : stateBefore.state;
        for (const hook of this.historyHooks) {
          const returned = (await hook(tx, [{ appended: { event, streamPosition }, stateAfter }])) ?? [];
          for (const afterCommit of returned) if (afterCommit) afterCommits.push(afterCommit);
        }
      }
      return { event, streamPosition, rejected: rejectedReason !== null, stateBeforeGroup: before, stateAfterGroup: after };
    });
    this.eventStore.rememberHistory(local);
    for (const afterCommit of afterCommits) afterCommit();
    return streamPosition === null ? null : { event, streamPosition };
  }

  /** Under the room's lock: builds and authorises the event on the room's tip and hands it over. */
  private async build(rules: Readonly<RoomVersionRules>, draft: EventDraft): Promise<{ committed: Promise<Committed> }> {
    const tip = await this.tip(draft.roomId);
    const built = await this.buildOnTip(rules, tip, draft);
    if (!built.verdict.allowed) throw new MatrixError('M_FORBIDDEN', built.verdict.reason);
    const event = draft.cosign ? await draft.cosign(built.event) : built.event;
    if (event.eventId !== built.event.eventId) throw new Error('a co-signed event must keep its event ID');
    return this.handOver(event, tip, { transaction: draft.transaction && { key: draft.transaction, recordedTs: this.clock() } });
  }

  /**
   * An event template on the room's tip, for another server to sign and send back (server-server-api
   * "Joining Rooms", make_join and the like): the event this server would build, without hashes,
   * signatures or event ID, and whether the room's current state allows it.
   */
  async eventTemplate(draft: Omit<EventDraft, 'transaction' | 'redacts' | 'cosign'>): Promise<{ template: JsonObject; verdict: AuthVerdict }> {
    const rules = await this.eventStore.roomRules(draft.roomId);
    return this.roomLocks.run(draft.roomId, async () => {
      const { event, verdict } = await this.buildOnTip(rules, await this.tip(draft.roomId), draft);
      const { hashes: _hashes, signatures: _signatures, event_id: _eventId, ...template } = event.pdu;
      return { template, verdict };
    });
  }

  /** The event `draft` describes, built on `tip` (prev events, auth events, depth, signature), and the auth verdict on it. */
  private async buildOnTip(rules: Readonly<RoomVersionRules>, tip: RoomTip, draft: Omit<EventDraft, 'transaction' | 'cosign'>): Promise<{ event: RoomEvent; verdict: AuthVerdict }> {
    const subject = { type: draft.type, sender: draft.sender, stateKey: draft.stateKey, content: draft.content };
    const authState = await this.stateEvents(tip.state, authStateKeys(subject, rules));
    const authEvents = authEventKeys(subject, rules).flatMap((key) => authState.get(key) ?? []);
    const prevEvents = [...tip.extremities].sort((a, b) => b.depth - a.depth).slice(0, maxPrevEvents);
    const { event } = buildEvent(
      {
        rules,
        roomId: draft.roomId,
        type: draft.type,
        stateKey: draft.stateKey,
        sender: draft.sender,
        content: draft.content,
        redacts: draft.redacts,
        prevEvents,
        authEvents,
        depth: Math.min(Math.max(0, ...prevEvents.map((e) => e.depth)) + 1, Number.MAX_SAFE_INTEGER),
        originServerTs: this.clock(),
      },
      this.signing,
    );
    return { event, verdict: checkEventAuth(event, authState as AuthState, rules) };
  }

  /**
   * Hands the event to the persister and moves the tip past it (the caller holds the room's lock).
   * The commit is returned wrapped, so the lock is released without waiting for it.
   */
  private handOver(event: RoomEvent, tip: RoomTip, hooks: Pick<PersistRequest, 'first' | 'transaction'>): { committed: Promise<Committed> } {
    const key = event.stateKey === undefined ? undefined : stateKeyOf(event.type, event.stateKey);
    const before = { group: tip.group, state: tip.state };
    const after = key ? { group: new PendingStateGroup(), state: new Map(tip.state).set(key, event.eventId) } : before.group === null ? { group: new PendingStateGroup(), state: tip.state } : before;
    return this.persistOnTip(tip, { event, before, after, ...hooks }, after);
  }

  /**
   * Hands a request to the persister and moves the tip past it (the caller holds the room's lock):
   * an event in the timeline becomes an extremity, replacing those it references, and `current` becomes
   * the room's current state. The commit is returned wrapped, so the lock is released without waiting.
   */
  private persistOnTip(tip: RoomTip, request: PersistRequest, current: { group: StateGroupRef; state: StateMap }): { committed: Promise<Committed> } {
    const { event } = request;
    const accepted = inTimeline(request);
    this.uncommitted.set(event.eventId, event);
    if (accepted) {
      tip.state = current.state;
      tip.group = current.group;
      // As in the database: the event replaces the extremities it references (all but the oldest beyond 10).
      tip.extremities = [event, ...tip.extremities.filter((extremity) => !event.prevEventIds.includes(extremity.eventId))];
    }
    const committed = this.persister.persist(request).then(
      (persisted): Committed => {
        // Synchronously, in commit order: the caches hold what is committed.
        const local: LocalEvent = {
          event,
          streamPosition: persisted.appended?.streamPosition ?? null,
          rejected: request.received?.rejectedReason != null,
          stateBeforeGroup: persisted.stateBeforeGroup,
          stateAfterGroup: persisted.stateAfterGroup,
        };
        // A promoted outlier may have been redacted already: nothing is assumed of it.
        if (request.received?.replacesOutlier) this.eventStore.rememberHistory(local);
        else this.eventStore.remember(local);
        this.uncommitted.delete(event.eventId);
        if (!persisted.appended) return { appended: null, membershipChange: undefined };
        const memberKey = event.type === 'm.room.member' ? stateKeyOf(event.type, event.stateKey!) : undefined;
        const membershipChange = memberKey && current.state.get(memberKey) === event.eventId ? { userId: event.stateKey!, membership: String(event.content.membership) } : undefined;
        const currentGroup = current.group instanceof PendingStateGroup ? current.group.id! : current.group === request.after.group ? persisted.stateAfterGroup : current.group;
        this.roomStates.setCurrentState(event.roomId, { groupId: currentGroup ?? persisted.stateAfterGroup, state: current.state }, membershipChange);
        this.recentEvents.record(event.roomId, { eventId: event.eventId, streamPosition: local.streamPosition, stateBeforeGroup: local.stateBeforeGroup, stateAfterGroup: local.stateAfterGroup });
        for (const afterCommit of persisted.afterCommit) afterCommit();
        return { appended: persisted.appended, membershipChange };
      },
      (error: unknown) => {
        this.uncommitted.delete(event.eventId);
        // The tip may hold the failed event: rebuild it from what did commit.
        this.tips.delete(event.roomId);
        throw error;
      },
    );
    this.track(event.roomId, committed);
    return { committed };
  }

  /** After the commit: tells the room's members and the user whose membership changed. */
  private async published({ appended, membershipChange }: Committed): Promise<AppendedEvent> {
    if (!appended) throw new Error('only events in the timeline are published');
    const { event, streamPosition } = appended;
    const concerned = new Set(await this.roomStates.joinedMembers(event.roomId));
    if (membershipChange) concerned.add(membershipChange.userId);
    this.serverEvents.emit('roomEvent', { roomId: event.roomId, eventId: event.eventId, position: streamPosition, userIds: [...concerned], membershipOf: membershipChange?.userId });
    return appended;
  }

  /** The room's tip; loaded from the database when not held, after the room's appends in flight settle. */
  private async tip(roomId: RoomId): Promise<RoomTip> {
    const held = this.tips.get(roomId);
    if (held) return held;
    const pending = this.inFlight.get(roomId);
    if (pending) await Promise.allSettled(pending);
    const current = await this.roomStates.currentState(roomId);
    const tip: RoomTip = { state: current.state, group: current.groupId, extremities: await this.forwardExtremities(roomId) };
    this.tips.set(roomId, tip);
    return tip;
  }

  private async forwardExtremities(roomId: RoomId): Promise<RoomEvent[]> {
    const ids = await this.storage.roomEvents.forwardExtremities(roomId);
    return [...(await this.eventStore.getEvents(ids as EventId[])).values()];
  }

  /** The events with these IDs, including `extra` and the events not committed yet. */
  private async eventsIncludingUncommitted(ids: readonly EventId[], extra: RoomEvent): Promise<Map<EventId, RoomEvent>> {
    const found = new Map<EventId, RoomEvent>();
    const missing: EventId[] = [];
    for (const id of ids) {
      const held = id === extra.eventId ? extra : this.uncommitted.get(id);
      if (held) found.set(id, held);
      else missing.push(id);
    }
    for (const [id, stored] of await this.eventStore.getEvents(missing)) found.set(id, stored);
    return found;
  }

  /** The events of `state` under `keys`, including events not committed yet. */
  private async stateEvents(state: StateMap, keys: readonly StateKey[]): Promise<Map<StateKey, RoomEvent>> {
    const result = new Map<StateKey, RoomEvent>();
    const missing = new Map<StateKey, EventId>();
    for (const key of keys) {
      const id = state.get(key);
      if (id === undefined) continue;
      const event = this.uncommitted.get(id);
      if (event) result.set(key, event);
      else missing.set(key, id);
    }
    if (missing.size === 0) return result;
    const stored = await this.eventStore.getEvents([...missing.values()]);
    for (const [key, id] of missing) {
      const event = stored.get(id);
      if (event) result.set(key, event);
    }
    return result;
  }

  private track(roomId: string, committed: Promise<unknown>): void {
    let pending = this.inFlight.get(roomId);
    if (!pending) this.inFlight.set(roomId, (pending = new Set()));
    pending.add(committed);
    const settled = () => {
      pending.delete(committed);
      if (pending.size === 0 && this.inFlight.get(roomId) === pending) this.inFlight.delete(roomId);
    };
    committed.then(settled, settled);
  }
}

interface Committed {
  /** null for a received event that was rejected or soft-failed. */
  appended: AppendedEvent | null;
  membershipChange: { userId: string; membership: string } | undefined;
}

function randomLocalpart(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from(crypto.getRandomValues(new Uint8Array(18)), (byte) => letters[byte % letters.length]).join('');
}
