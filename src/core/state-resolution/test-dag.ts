/**
 * Builds room DAGs of real-shaped RoomEvents for the state resolution tests and benchmark: events are
 * not signed or hashed, but carry proper prev_events, depth and auth_events (selected from the state
 * of the branch they extend, per server-server-api "Auth events selection"), and readable event IDs
 * made from a label, so a test can name the events its expected state holds.
 */
import { selectAuthEvents } from '../auth/auth-events.ts';
import type { JsonObject } from '../canonical-json.ts';
import { stateKeyOf, type Pdu, type RoomEvent, type StateKey } from '../events/pdu.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { MemoryEventSource } from './event-source.ts';
import { resolveState } from './resolve-state.ts';

export type EventSpec = {
  type: string;
  sender: string;
  stateKey?: string;
  content?: JsonObject;
  /** Labels of the auth events, replacing the selection from the branch state. */
  auth?: readonly string[];
  /** Defaults to the next tick of the room's clock. */
  ts?: number;
};

/** A room: the event store and the clock its branches share. */
export class TestRoom {
  readonly source = new MemoryEventSource();
  readonly roomId: RoomId;
  private readonly byLabel = new Map<string, RoomEvent>();
  private readonly labels = new Map<EventId, string>();
  private clock = 0;

  private constructor(
    readonly rules: RoomVersionRules,
    roomId: RoomId,
  ) {
    this.roomId = roomId;
  }

  /** A room of version `version` created by `creator`, and the branch holding its create event. */
  static create(version: string, creator: string, createContent: JsonObject = {}): { room: TestRoom; main: Branch } {
    const rules = getRoomVersion(version);
    const hashedRoomId = rules.roomIdFormat === 'create-event-reference-hash';
    const room = new TestRoom(rules, (hashedRoomId ? '!CREATE' : '!room:example.com') as RoomId);
    const main = new Branch(room, new Map(), [], 0);
    const content: JsonObject = { room_version: rules.id, ...(rules.creatorFromSender ? {} : { creator }), ...createContent };
    main.add('CREATE', { type: 'm.room.create', sender: creator, stateKey: '', content });
    return { room, main };
  }

  eventId(label: string): EventId {
    return (this.rules.eventIdFormat === 'server-generated' ? `$${label}:example.com` : `$${label}`) as EventId;
  }

  event(label: string): RoomEvent {
    const event = this.byLabel.get(label);
    if (!event) throw new Error(`No event labelled ${label}`);
    return event;
  }

  /** `{ key → event ID }` for these labels: the expected states of the tests. */
  stateOf(...labels: string[]): Map<StateKey, EventId> {
    return new Map(labels.map((label) => [keyOf(this.event(label)), this.event(label).eventId]));
  }

  /** The label of an event ID this room made (for readable assertions). */
  label(id: EventId): string {
    return this.labels.get(id) ?? id;
  }

  /** A state map with its IDs replaced by labels and keys by `type|state_key`, to compare in tests. */
  labelled(state: ReadonlyMap<StateKey, EventId>): Record<string, string> {
    const entries = [...state].map(([key, id]) => [key.replace('\u0000', '|'), this.label(id)] as const);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  record(label: string, event: RoomEvent): void {
    if (this.byLabel.has(label)) throw new Error(`Duplicate label ${label}`);
    this.byLabel.set(label, event);
    this.labels.set(event.eventId, label);
    this.source.add(event);
  }

  tick(): number {
    return ++this.clock;
  }
}

function keyOf(event: RoomEvent): StateKey {
  if (event.stateKey === undefined) throw new Error(`${event.eventId} is not a state event`);
  return stateKeyOf(event.type, event.stateKey);
}

/** A line of history: the state after its newest event, and that event as the next prev_events. */
export class Branch {
  constructor(
    readonly room: TestRoom,
    readonly state: Map<StateKey, RoomEvent>,
    private heads: EventId[],
    private depth: number,
  ) {}

  /** Appends an event to this branch; a state event updates the branch state (no auth check). */
  add(label: string, spec: EventSpec): RoomEvent {
    const { room } = this;
    const rules = room.rules;
    const eventId = room.eventId(label);
    const content = spec.content ?? {};
    const depth = this.depth + 1;
    const draft: RoomEvent = {
      eventId,
      roomId: room.roomId,
      type: spec.type,
      sender: spec.sender as UserId,
      stateKey: spec.stateKey,
      content,
      prevEventIds: this.heads,
      authEventIds: [],
      depth,
      originServerTs: spec.ts ?? room.tick(),
      redacts: undefined,
      pdu: undefined as unknown as Pdu,
    };
    const authEventIds = spec.auth ? spec.auth.map((authLabel) => room.event(authLabel).eventId) : this.selectAuthEvents(draft);
    const event: RoomEvent = { ...draft, authEventIds, pdu: toPdu(draft, authEventIds, rules) };
    room.record(label, event);
    if (event.stateKey !== undefined) this.state.set(keyOf(event), event);
    this.heads = [eventId];
    this.depth = depth;
    return event;
  }

  join(label: string, user: string, content: JsonObject = {}): RoomEvent {
    return this.add(label, { type: 'm.room.member', sender: user, stateKey: user, content: { membership: 'join', ...content } });
  }

  member(label: string, sender: string, target: string, membership: string): RoomEvent {
    return this.add(label, { type: 'm.room.member', sender, stateKey: target, content: { membership } });
  }

  powerLevels(label: string, sender: string, users: Record<string, number>, rest: JsonObject = {}): RoomEvent {
    return this.add(label, { type: 'm.room.power_levels', sender, stateKey: '', content: { users, ...rest } });
  }

  joinRules(label: string, sender: string, joinRule: string): RoomEvent {
    return this.add(label, { type: 'm.room.join_rules', sender, stateKey: '', content: { join_rule: joinRule } });
  }

  topic(label: string, sender: string, topic = label): RoomEvent {
    return this.add(label, { type: 'm.room.topic', sender, stateKey: '', content: { topic } });
  }

  message(label: string, sender: string): RoomEvent {
    return this.add(label, { type: 'm.room.message', sender, content: { msgtype: 'm.text', body: label } });
  }

  /** A new branch from this one's newest event. */
  fork(): Branch {
    return new Branch(this.room, new Map(this.state), [...this.heads], this.depth);
  }

  /** The branch state as the state map resolution takes. */
  stateIds(): Map<StateKey, EventId> {
    return new Map([...this.state].map(([key, event]) => [key, event.eventId]));
  }

  /** A branch whose next event has the heads of all `branches` as prev_events, on their resolved state. */
  static async merge(branches: readonly Branch[]): Promise<Branch> {
    const [first] = branches;
    if (!first) throw new Error('Nothing to merge');
    const { room } = first;
    const resolved = await resolveState(room.roomId, room.rules, branches.map((branch) => branch.stateIds()), room.source);
    const state = new Map<StateKey, RoomEvent>();
    for (const [key, id] of resolved) state.set(key, room.source.get(id)!);
    const heads = [...new Set(branches.flatMap((branch) => branch.heads))];
    return new Branch(room, state, heads, Math.max(...branches.map((branch) => branch.depth)));
  }

  /** server-server-api "Auth events selection" from this branch's state (v12 leaves out the create event). */
  private selectAuthEvents(event: RoomEvent): EventId[] {
    return selectAuthEvents(event, this.state, this.room.rules);
  }
}

/** The event as a PDU in its room version's format (unsigned and unhashed). */
function toPdu(event: RoomEvent, authEventIds: readonly EventId[], rules: RoomVersionRules): Pdu {
  const reference = (id: EventId): unknown => (rules.eventIdFormat === 'server-generated' ? [id, { sha256: '' }] : id);
  const omitRoomId = rules.roomIdFormat === 'create-event-reference-hash' && event.type === 'm.room.create';
  return {
    ...(rules.eventIdFormat === 'server-generated' ? { event_id: event.eventId } : {}),
    ...(omitRoomId ? {} : { room_id: event.roomId }),
    type: event.type,
    sender: event.sender,
    ...(event.stateKey === undefined ? {} : { state_key: event.stateKey }),
    content: event.content,
    origin_server_ts: event.originServerTs,
    depth: event.depth,
    prev_events: event.prevEventIds.map(reference),
    auth_events: authEventIds.map(reference),
    hashes: { sha256: '' },
    signatures: {},
  };
}

/** mulberry32: a small seeded PRNG, so a generated room is the same on every run and a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
