/**
 * The one write path for room events (DESIGN "The event path"). A local event is built and persisted
 * under its room's lock: read the current state and forward extremities, build the event (prev events,
 * auth events chosen by the rules, depth, hashes, signature, event ID), check it against the
 * authorization rules, then commit it with its state snapshot, stream position, extremities and the
 * room's new current state in one transaction. Only after the commit do the caches learn of it and
 * `roomEvent` go out, so nobody sees an event that could still roll back.
 *
 * Lock order: the room's mutex, then the database transaction (which locks the events stream counter).
 */
import { checkEventAuth, type AuthState } from '../../core/auth/check-event-auth.ts';
import { authEventKeys, authStateKeys } from '../../core/auth/auth-events.ts';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { SigningKey } from '../../core/crypto/signing-key.ts';
import { MatrixError } from '../../core/errors.ts';
import { buildEvent } from '../../core/events/build-event.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../core/room-versions/room-version-rules.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import { KeyedMutex } from '../../util/keyed-mutex.ts';
import type { ServerEvents } from '../server-events.ts';
import type { EventStore, LocalEvent } from './event-store.ts';
import type { RoomStates, StateMap } from './room-states.ts';

export interface EventDraft {
  roomId: RoomId;
  type: string;
  stateKey?: string;
  sender: UserId;
  content: JsonObject;
  /** For m.room.redaction: the redacted event (placed where the room version wants it). */
  redacts?: EventId;
}

export interface AppendedEvent {
  event: RoomEvent;
  streamPosition: number;
}

/**
 * Work that must commit atomically with an event (push actions, per-user counters): runs inside the
 * transaction that persists the event, after its row is written, with the room state after it.
 */
export type PersistHook = (tx: Repositories, appended: AppendedEvent, stateAfter: StateMap) => Promise<void>;

/** rooms "prev_events": Synapse references at most 10 of the newest extremities. */
const maxPrevEvents = 10;

export class Timeline {
  private readonly roomLocks = new KeyedMutex();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly serverEvents: ServerEvents,
    private readonly signing: { serverName: string; key: SigningKey },
    private readonly clock: () => number,
    private readonly persistHooks: readonly PersistHook[] = [],
  ) {}

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
    return this.roomLocks.run(event.roomId, () =>
      this.persist(event, { groupId: null, state: new Map() }, {
        first: (tx) => tx.roomEvents.createRoom({ roomId: event.roomId, roomVersion: rules.id, creator, isPublic, createdTs: event.originServerTs, currentStateGroup: null }),
      }),
    );
  }

  /**
   * Builds, authorises and persists a local event at the end of the room's timeline. `within` runs in
   * the same transaction (to record a client transaction ID with the event it produced).
   */
  async append(draft: EventDraft, within?: (tx: Repositories, appended: AppendedEvent) => Promise<void>): Promise<AppendedEvent> {
    const rules = await this.eventStore.roomRules(draft.roomId);
    return this.roomLocks.run(draft.roomId, async () => {
      const current = await this.roomStates.currentState(draft.roomId);
      const prevEvents = await this.prevEvents(draft.roomId);
      const subject = { type: draft.type, sender: draft.sender, stateKey: draft.stateKey, content: draft.content };
      const authState = await this.roomStates.events(current.state, authStateKeys(subject, rules));
      const authEvents = authEventKeys(subject, rules).flatMap((key) => authState.get(key) ?? []);
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
      const verdict = checkEventAuth(event, authState as AuthState, rules);
      if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', verdict.reason);
      return this.persist(event, current, { within });
    });
  }

  /** The newest forward extremities, which the next event references. */
  private async prevEvents(roomId: RoomId): Promise<RoomEvent[]> {
    const ids = await this.storage.roomEvents.forwardExtremities(roomId);
    const events = [...(await this.eventStore.getEvents(ids as EventId[])).values()];
    return events.sort((a, b) => b.depth - a.depth).slice(0, maxPrevEvents);
  }

  private async persist(
    event: RoomEvent,
    before: { groupId: number | null; state: StateMap },
    hooks: { first?: (tx: Repositories) => Promise<void>; within?: (tx: Repositories, appended: AppendedEvent) => Promise<void> },
  ): Promise<AppendedEvent> {
    const isState = event.stateKey !== undefined;
    const key = isState ? stateKeyOf(event.type, event.stateKey!) : undefined;
    const after = new Map(before.state) as Map<StateKey, EventId>;
    if (key) after.set(key, event.eventId);

    const committed = await this.storage.transaction(async (tx) => {
      await hooks.first?.(tx);
      const streamPosition = await tx.streamCounters.nextPosition('events');
      let afterGroup = before.groupId;
      if (key || afterGroup === null) {
        afterGroup = await tx.stateGroups.create(event.roomId, after, before.groupId === null ? undefined : { id: before.groupId, state: before.state });
      }
      await tx.roomEvents.insertEvent(
        {
          eventId: event.eventId,
          roomId: event.roomId,
          type: event.type,
          stateKey: event.stateKey ?? null,
          sender: event.sender,
          depth: event.depth,
          originServerTs: event.originServerTs,
          streamPosition,
          pdu: event.pdu,
          outlier: false,
          rejectedReason: null,
          softFailed: false,
          stateBeforeGroup: before.groupId,
          stateAfterGroup: afterGroup,
        },
        event.prevEventIds,
        event.authEventIds,
      );
      await tx.roomEvents.advanceForwardExtremities(event.roomId, event.eventId, event.prevEventIds);
      if (key) {
        const membership = event.type === 'm.room.member' ? (event.content.membership as string) : null;
        await tx.roomEvents.applyCurrentStateChanges(event.roomId, [{ type: event.type, stateKey: event.stateKey!, eventId: event.eventId, membership }]);
      }
      if (afterGroup !== before.groupId) await tx.roomEvents.setCurrentStateGroup(event.roomId, afterGroup!);
      if (event.redacts !== undefined) await tx.roomEvents.recordRedaction(event.redacts, event.eventId);
      if (event.type === 'm.room.join_rules' && event.stateKey === '' && typeof event.content.join_rule === 'string') await tx.roomEvents.setJoinRule(event.roomId, event.content.join_rule);
      const appended = { event, streamPosition };
      for (const hook of this.persistHooks) await hook(tx, appended, after);
      await hooks.within?.(tx, appended);
      return { appended, afterGroup: afterGroup! };
    });

    const local: LocalEvent = { event, streamPosition: committed.appended.streamPosition, rejected: false, stateBeforeGroup: before.groupId, stateAfterGroup: committed.afterGroup };
    this.eventStore.remember(local);
    const membershipChange = event.type === 'm.room.member' ? { userId: event.stateKey!, membership: String(event.content.membership) } : undefined;
    this.roomStates.setCurrentState(event.roomId, { groupId: committed.afterGroup, state: after }, membershipChange);
    // Who must hear of it: the room's members, and the user whose membership it changes.
    const concerned = new Set(await this.roomStates.joinedMembers(event.roomId));
    if (membershipChange) concerned.add(membershipChange.userId);
    this.serverEvents.emit('roomEvent', { roomId: event.roomId, eventId: event.eventId, position: committed.appended.streamPosition, userIds: [...concerned] });
    return committed.appended;
  }
}

function randomLocalpart(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from(crypto.getRandomValues(new Uint8Array(18)), (byte) => letters[byte % letters.length]).join('');
}
