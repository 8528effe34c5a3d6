/**
 * PDUs (server-server-api "PDUs"; rooms/v1 … v12 "Event format") and the normalised view of them the
 * room core computes with. The PDU is the signed JSON and stays exactly as received; RoomEvent is our
 * camelCase reading of it, with the version differences (reference pairs in v1–v2, `redacts` moving
 * into content in v11, no `room_id` on v12 create events) resolved once, here.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { MatrixError } from '../errors.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { computeEventId } from './event-id.ts';

/** The signed JSON of an event, in any room version's format. */
export type Pdu = JsonObject & {
  type: string;
  sender: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  state_key?: string;
  room_id?: string;
  /** v1–v2: `[[event_id, {sha256}]]`; v3+: event IDs. */
  prev_events: unknown[];
  auth_events: unknown[];
  hashes: { sha256: string };
  signatures: Record<string, Record<string, string>>;
  unsigned?: JsonObject;
  redacts?: string;
  event_id?: string;
};

export interface RoomEvent {
  readonly eventId: EventId;
  readonly roomId: RoomId;
  readonly type: string;
  readonly sender: UserId;
  readonly stateKey: string | undefined;
  readonly content: JsonObject;
  readonly prevEventIds: readonly EventId[];
  readonly authEventIds: readonly EventId[];
  readonly depth: number;
  readonly originServerTs: number;
  /** The redacted event of an m.room.redaction (top level before v11, in content from v11). */
  readonly redacts: EventId | undefined;
  readonly pdu: Pdu;
}

/** A state event's place in the state map: "type" and "state_key". */
export type StateKey = `${string}\u0000${string}`;

export function stateKeyOf(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}

export function isStateEvent(event: RoomEvent): event is RoomEvent & { stateKey: string } {
  return event.stateKey !== undefined;
}

/**
 * Reads a PDU (already checked for format) into a RoomEvent. The event ID is computed unless the
 * caller already knows it (an event read back from our own storage). A v12 create event's room ID is
 * derived from its event ID.
 */
export function toRoomEvent(pdu: Pdu, rules: RoomVersionRules, knownEventId?: EventId): RoomEvent {
  const eventId = knownEventId ?? (computeEventId(pdu, rules) as EventId);
  const redacts = rules.redactsInContent ? pdu.content.redacts : pdu.redacts;
  const roomId = pdu.room_id ?? (rules.roomIdFormat === 'create-event-reference-hash' && pdu.type === 'm.room.create' ? `!${eventId.slice(1)}` : undefined);
  if (roomId === undefined) throw new MatrixError('M_BAD_JSON', `Event ${eventId} has no room_id`);
  return {
    eventId,
    roomId: roomId as RoomId,
    type: pdu.type,
    sender: pdu.sender as UserId,
    stateKey: pdu.state_key,
    content: isJsonObject(pdu.content) ? pdu.content : {},
    prevEventIds: referencedIds(pdu.prev_events),
    authEventIds: referencedIds(pdu.auth_events),
    depth: pdu.depth,
    originServerTs: pdu.origin_server_ts,
    redacts: typeof redacts === 'string' ? (redacts as EventId) : undefined,
    pdu,
  };
}

/** rooms/v1 "Event format" references are `[event_id, {sha256}]` pairs; from v3 they are bare IDs. */
function referencedIds(references: unknown[]): EventId[] {
  return references.map((reference) => (Array.isArray(reference) ? reference[0] : reference) as EventId);
}
