/**
 * Building our own events in the PDU format of their room version (rooms/v1 … v12 "Event format"),
 * hashed and signed (server-server-api "Adding hashes and signatures to outgoing events"), with their
 * event ID. What differs by version comes from the rules:
 *
 * - `eventIdFormat`: v1–v2 events carry an `event_id` we make up (`$` + random + `:` + our server
 *   name, rooms/v1 "Event IDs") and reference other events as `[event_id, {sha256: reference hash}]`
 *   pairs; from v3 the ID is the reference hash and references are bare IDs (rooms/v3 "Event format").
 * - `redactsInContent`: `redacts` is a top-level key before v11 and a content key from v11.
 * - `roomIdFormat`: a v12 create event has no `room_id`; the room ID is `!` + its reference hash.
 *
 * Top-level `origin` is no longer part of any PDU schema (matrix-spec PR #998) and current servers no
 * longer send it (Synapse PR #18418), so it is only written when a caller asks for it. Which events
 * to cite is the caller's business: the auth events come from the auth event selection rules (in v12
 * they leave out the create event, rooms/v12 auth rule 3.2), the prev events from the forward
 * extremities (at most 20, see check-pdu-format.ts).
 */
import { encodeBase64, encodeBase64Url } from '../base64.ts';
import { canonicalJsonBytes, type JsonObject } from '../canonical-json.ts';
import type { Signatures } from '../crypto/sign-json.ts';
import { signDetached, type RandomBytes, type SigningKey } from '../crypto/signing-key.ts';
import { loadedSodium, sha256 } from '../crypto/sodium.ts';
import { MatrixError } from '../errors.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { checkPduFields, checkPduSize } from './check-pdu-format.ts';
import { computeReferenceHash } from './hashes.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from './pdu.ts';
import { redactEvent } from './redact.ts';

/**
 * An event this one cites in `prev_events` or `auth_events`. From v3 the ID is all that is written; in
 * v1–v2 the pair needs the event's reference hash too, given as `referenceHash` (unpadded base64) or
 * computed from `pdu` (a RoomEvent is a reference).
 */
export type EventReference = EventId | { readonly eventId: EventId; readonly referenceHash?: string; readonly pdu?: JsonObject };

export interface EventToBuild {
  rules: Readonly<RoomVersionRules>;
  /** Required, except for a v12 m.room.create event, which must not have one. */
  roomId?: RoomId | undefined;
  type: string;
  /** Present for state events (often ""). */
  stateKey?: string | undefined;
  sender: UserId;
  content: JsonObject;
  prevEvents: readonly EventReference[];
  authEvents: readonly EventReference[];
  /** The largest depth of the prev events plus one (capped by the caller at the version's maximum). */
  depth: number;
  originServerTs: number;
  /** For m.room.redaction: the redacted event, written top-level (v1–v10) or into content (v11+). */
  redacts?: EventId | undefined;
  /** The legacy top-level `origin`, written only if given (see above). */
  origin?: string | undefined;
}

export interface EventSigner {
  serverName: string;
  key: SigningKey;
  /** Random bytes for v1–v2 event IDs; libsodium's randombytes_buf by default. */
  randomBytes?: RandomBytes;
}

/** A new event: its signed PDU and our reading of it (with the event ID and room ID resolved). */
export function buildEvent(input: EventToBuild, signer: EventSigner): { pdu: Pdu; event: RoomEvent } {
  const { rules } = input;
  const unsigned = eventSkeleton(input, signer);

  // server-server-api "Adding hashes and signatures to outgoing events": the content hash goes into
  // `hashes`, then the redacted event is signed. The signed bytes (redacted event without signatures
  // or unsigned) are exactly what the reference hash covers too, so they are encoded once for both.
  const contentHashInput = canonicalJsonBytes(unsigned);
  const hashed = { ...unsigned, hashes: { sha256: encodeBase64(sha256(contentHashInput)) } };
  const signedBytes = canonicalJsonBytes(redactEvent(hashed, rules));
  const signatures: Signatures = { [signer.serverName]: { [signer.key.keyId]: encodeBase64(signDetached(signedBytes, signer.key)) } };
  const pdu = { ...hashed, signatures };

  checkPduFields(pdu, rules);
  // The complete event's canonical JSON is the two objects' members joined: their lengths minus one
  // pair of braces plus one comma, without encoding it all a third time.
  checkPduSize(contentHashInput.length + canonicalJsonBytes({ hashes: pdu.hashes, signatures }).length - 1);

  return { pdu, event: toRoomEvent(pdu, rules, eventIdOf(pdu, rules, signedBytes)) };
}

/**
 * rooms/v3 and v4 "Event IDs": `$` + the reference hash, i.e. the sha256 of the redacted event without
 * signatures and unsigned, which are the bytes just signed; v1–v2: the ID written into the event.
 */
function eventIdOf(pdu: Pdu, rules: RoomVersionRules, signedBytes: Uint8Array): EventId {
  switch (rules.eventIdFormat) {
    case 'server-generated':
      return pdu.event_id as EventId;
    case 'reference-hash-base64':
      return `$${encodeBase64(sha256(signedBytes))}` as EventId;
    case 'reference-hash-base64url':
      return `$${encodeBase64Url(sha256(signedBytes))}` as EventId;
  }
}

/** The event before hashing and signing, in the version's format. */
function eventSkeleton(input: EventToBuild, signer: EventSigner): JsonObject {
  const { rules } = input;
  const isV12Create = rules.roomIdFormat === 'create-event-reference-hash' && input.type === 'm.room.create';
  if (isV12Create && input.roomId !== undefined) throw new MatrixError('M_INVALID_PARAM', 'A room version 12 create event has no room_id: the room ID derives from it');
  if (!isV12Create && input.roomId === undefined) throw new MatrixError('M_INVALID_PARAM', `A ${input.type} event needs a room_id`);

  const skeleton: JsonObject = {
    type: input.type,
    sender: input.sender,
    content: input.content,
    depth: input.depth,
    origin_server_ts: input.originServerTs,
    prev_events: input.prevEvents.map((reference) => referenceFor(reference, rules)),
    auth_events: input.authEvents.map((reference) => referenceFor(reference, rules)),
  };
  if (input.roomId !== undefined) skeleton.room_id = input.roomId;
  if (input.stateKey !== undefined) skeleton.state_key = input.stateKey;
  if (input.redacts !== undefined) {
    if (rules.redactsInContent) skeleton.content = { ...input.content, redacts: input.redacts };
    else skeleton.redacts = input.redacts;
  }
  if (input.origin !== undefined) skeleton.origin = input.origin;
  if (rules.eventIdFormat === 'server-generated') skeleton.event_id = `$${randomLocalpart(signer.randomBytes)}:${signer.serverName}`;
  return skeleton;
}

function referenceFor(reference: EventReference, rules: RoomVersionRules): string | [string, { sha256: string }] {
  const eventId = typeof reference === 'string' ? reference : reference.eventId;
  if (rules.eventIdFormat !== 'server-generated') return eventId;
  // rooms/v1 "Event format" (pdu_v1): "Event IDs and reference hashes" of the cited events.
  if (typeof reference === 'string') throw new Error(`Room version ${rules.id} cites events with their reference hash: ${eventId} came without one`);
  if (reference.referenceHash !== undefined) return [eventId, { sha256: reference.referenceHash }];
  if (reference.pdu === undefined) throw new Error(`Room version ${rules.id} cites events with their reference hash: ${eventId} came without one`);
  return [eventId, { sha256: encodeBase64(computeReferenceHash(reference.pdu, rules)) }];
}

const alphanumerics = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const localpartLength = 18;

/** 18 unbiased alphanumerics (about 107 bits): bytes at or above the largest multiple of 62 are drawn again. */
function randomLocalpart(randomBytes: RandomBytes = (length) => loadedSodium().randombytes_buf(length)): string {
  const limit = 256 - (256 % alphanumerics.length);
  let localpart = '';
  while (localpart.length < localpartLength) {
    for (const byte of randomBytes(localpartLength)) {
      if (byte < limit && localpart.length < localpartLength) localpart += alphanumerics[byte % alphanumerics.length];
    }
  }
  return localpart;
}
