/**
 * A factory of room events for the authorization-rule tests (and any other test that needs events
 * in a room of some version): PDUs in the version's format, unsigned and unhashed, with readable
 * event IDs, prev_events from the room's last event and auth_events selected from the room's state
 * (server-server-api "Auth events selection"). For tests only.
 */
import type { JsonObject } from '../canonical-json.ts';
import { stateKeyOf, type Pdu, type RoomEvent, type StateKey } from '../events/pdu.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { selectAuthEvents } from './auth-events.ts';
import { checkEventAuth, type AuthVerdict } from './check-event-auth.ts';

export type EventFields = {
  type: string;
  sender: string;
  stateKey?: string;
  content?: JsonObject;
  /** Defaults to the room's newest event. */
  prevEvents?: readonly EventId[];
  /** Defaults to the selection from the room's state. */
  authEvents?: readonly EventId[];
  /** For m.room.redaction: top level before v11, in content from v11 (rooms/v11). */
  redacts?: string;
  /** Overrides the room ID (of the room, or derived from the create event in v12). */
  roomId?: string;
  /** Overrides the generated event ID. */
  eventId?: string;
  /** Extra top-level PDU fields (or `undefined` values to drop generated ones, e.g. `room_id`). */
  pdu?: JsonObject;
};

/** The server a user ID names (for readable event IDs in v1–v2). */
function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

// Process-wide counters, so rooms and events of different test rooms never share an ID.
let roomCounter = 0;
let eventCounter = 0;

/** A room of one version: its events and its current state (applied without checks unless sent). */
export class TestAuthRoom {
  readonly state = new Map<StateKey, RoomEvent>();
  readonly events: RoomEvent[] = [];
  roomId: RoomId;
  private depth = 0;
  private heads: EventId[] = [];

  private constructor(readonly rules: RoomVersionRules, roomId: RoomId) {
    this.roomId = roomId;
  }

  /**
   * A room of `version` holding only its create event (by `creator`, with `createContent` merged
   * into the version's usual content). In v12 the room ID is derived from the create event's ID.
   */
  static create(version: string, creator = '@alice:example.org', createContent: JsonObject = {}): TestAuthRoom {
    const rules = getRoomVersion(version);
    const room = new TestAuthRoom(rules, `!room${++roomCounter}:${serverOf(creator)}` as RoomId);
    const content: JsonObject = { room_version: rules.id, ...(rules.creatorFromSender ? {} : { creator }), ...createContent };
    const create = room.build({ type: 'm.room.create', sender: creator, stateKey: '', content, prevEvents: [], authEvents: [] });
    room.roomId = create.roomId;
    room.apply(create);
    return room;
  }

  /**
   * The usual start of a room: the creator joins, sends power levels (`users`, with the creator at
   * 100 before v12, which forbids listing creators, plus any `powerLevels` content) and a join rule
   * (public unless `joinRule`).
   */
  static standard(version: string, options: { creator?: string; joinRule?: string; users?: Record<string, number>; powerLevels?: JsonObject; createContent?: JsonObject } = {}): TestAuthRoom {
    const creator = options.creator ?? '@alice:example.org';
    const room = TestAuthRoom.create(version, creator, options.createContent);
    room.send({ type: 'm.room.member', sender: creator, stateKey: creator, content: { membership: 'join' } });
    const users = { ...(room.rules.privilegedCreators ? {} : { [creator]: 100 }), ...options.users };
    room.send({ type: 'm.room.power_levels', sender: creator, stateKey: '', content: { users, ...options.powerLevels } });
    room.send({ type: 'm.room.join_rules', sender: creator, stateKey: '', content: { join_rule: options.joinRule ?? 'public' } });
    return room;
  }

  /** The event in the room's state at (type, state_key). */
  stateEvent(type: string, stateKey = ''): RoomEvent | undefined {
    return this.state.get(stateKeyOf(type, stateKey));
  }

  /** An event of this room, not checked nor applied. */
  build(fields: EventFields): RoomEvent {
    const rules = this.rules;
    const n = ++eventCounter;
    const depth = ++this.depth;
    const hashIds = rules.eventIdFormat !== 'server-generated';
    const eventId = (fields.eventId ?? (hashIds ? `$event${n}` : `$event${n}:${serverOf(fields.sender)}`)) as EventId;
    // rooms/v12 "Event format": a create event has no room_id; the room ID is its event ID with `!`.
    const omitRoomId = fields.type === 'm.room.create' && rules.roomIdFormat === 'create-event-reference-hash';
    const roomId = (fields.roomId ?? (omitRoomId ? `!${eventId.slice(1)}` : this.roomId)) as RoomId;
    const content = { ...(fields.content ?? {}) };
    if (fields.redacts !== undefined && rules.redactsInContent) content.redacts = fields.redacts;
    const prevEventIds = [...(fields.prevEvents ?? this.heads)];
    const partial = { type: fields.type, sender: fields.sender, stateKey: fields.stateKey, content };
    const authEventIds = [...(fields.authEvents ?? selectAuthEvents(partial, this.state, rules))];
    const reference = (id: EventId): unknown => (hashIds ? id : [id, { sha256: 'AAAA' }]);
    const pdu: Pdu = {
      ...(hashIds ? {} : { event_id: eventId }),
      ...(omitRoomId ? {} : { room_id: roomId }),
      type: fields.type,
      sender: fields.sender,
      ...(fields.stateKey === undefined ? {} : { state_key: fields.stateKey }),
      content,
      origin_server_ts: 1_700_000_000_000 + n,
      depth,
      prev_events: prevEventIds.map(reference),
      auth_events: authEventIds.map(reference),
      ...(fields.redacts !== undefined && !rules.redactsInContent ? { redacts: fields.redacts } : {}),
      hashes: { sha256: 'AAAA' },
      signatures: {},
      ...fields.pdu,
    };
    for (const [key, value] of Object.entries(pdu)) if (value === undefined) delete pdu[key];
    const redacts = rules.redactsInContent ? content.redacts : pdu.redacts;
    return {
      eventId,
      roomId,
      type: fields.type,
      sender: fields.sender as UserId,
      stateKey: fields.stateKey,
      content,
      prevEventIds,
      authEventIds,
      depth,
      originServerTs: pdu.origin_server_ts,
      redacts: typeof redacts === 'string' ? (redacts as EventId) : undefined,
      pdu,
    };
  }

  /** The verdict on an event built from `fields` (or given) against the room's current state. */
  check(fields: EventFields | RoomEvent): AuthVerdict {
    const event = isRoomEvent(fields) ? fields : this.build(fields);
    return checkEventAuth(event, this.state, this.rules);
  }

  /** Builds, checks (throwing on rejection) and applies an event. */
  send(fields: EventFields): RoomEvent {
    const event = this.build(fields);
    const verdict = checkEventAuth(event, this.state, this.rules);
    if (!verdict.allowed) throw new Error(`${fields.type} by ${fields.sender} rejected: ${verdict.reason}`);
    return this.apply(event);
  }

  /** Applies an event to the state and makes it the newest, without checking it. */
  apply(event: RoomEvent): RoomEvent {
    this.events.push(event);
    if (event.stateKey !== undefined) this.state.set(stateKeyOf(event.type, event.stateKey), event);
    this.heads = [event.eventId];
    return event;
  }

  /** Sets a user's membership without checks (`sender` defaults to the user). */
  forceMember(userId: string, membership: string, sender = userId, content: JsonObject = {}): RoomEvent {
    return this.apply(this.build({ type: 'm.room.member', sender, stateKey: userId, content: { membership, ...content } }));
  }

  /** Sends a join of `userId` (checked). */
  join(userId: string, content: JsonObject = {}): RoomEvent {
    return this.send({ type: 'm.room.member', sender: userId, stateKey: userId, content: { membership: 'join', ...content } });
  }

  /** Sends a membership change by `sender` for `target` (checked). */
  member(sender: string, target: string, membership: string, content: JsonObject = {}): RoomEvent {
    return this.send({ type: 'm.room.member', sender, stateKey: target, content: { membership, ...content } });
  }

  /** A copy sharing the events so far, for trying alternatives from the same state. */
  clone(): TestAuthRoom {
    const copy = new TestAuthRoom(this.rules, this.roomId);
    for (const [key, event] of this.state) copy.state.set(key, event);
    copy.events.push(...this.events);
    copy.depth = this.depth;
    copy.heads = [...this.heads];
    return copy;
  }
}

function isRoomEvent(value: EventFields | RoomEvent): value is RoomEvent {
  return 'pdu' in value && 'authEventIds' in value;
}

/** Every supported version from `first` to `last`, for tests of a rule across a version family. */
export function versionsFrom(first: number, last = 12): string[] {
  const versions: string[] = [];
  for (let version = first; version <= last; version++) versions.push(String(version));
  return versions;
}

/** Throws unless `verdict` allows (plain errors, so core stays free of test libraries). */
export function expectAllowed(verdict: AuthVerdict): void {
  if (!verdict.allowed) throw new Error(`expected the event to be allowed, but: ${verdict.reason}`);
}

/** Throws unless `verdict` rejects by the rule at `path` (see rule-numbers.ts). */
export function expectRejected(verdict: AuthVerdict, path: string): void {
  if (verdict.allowed) throw new Error(`expected a rejection by ${path}, but the event was allowed`);
  if (!verdict.reason.includes(`(${path})`)) throw new Error(`expected a rejection by ${path}, but: ${verdict.reason}`);
  if (verdict.reason.startsWith('rule ?')) throw new Error(`the rule ${path} has no number in this room version: ${verdict.reason}`);
}
