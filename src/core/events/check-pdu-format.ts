/**
 * Is this JSON a PDU of its room version at all? server-server-api "Checks performed on receipt of a
 * PDU", step 1: "Is a valid event, otherwise it is dropped", where valid means the event format of the
 * room version (rooms/v1 … v12 "Event format": the schemas pdu_v1, v3, v4, v6, v11 and v12) and the
 * size limits of client-server-api "Size limits". Signatures, hashes and auth rules are later steps.
 *
 * Failures throw MatrixError: M_TOO_LARGE for a size limit, M_BAD_JSON naming the field otherwise, so
 * the same check serves federation (drop the event) and locally built events (answer the client).
 */
import { canonicalJson, isJsonObject, type JsonObject } from '../canonical-json.ts';
import { MatrixError } from '../errors.ts';
import { isEventIdInVersion, isRoomIdInVersion, isUserId, maxIdentifierBytes, utf8Length } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { Pdu } from './pdu.ts';

/** client-server-api "Size limits": the complete event, as canonical JSON, MUST NOT exceed 65536 bytes. */
export const maxPduBytes = 65536;
/** pdu_v1 … pdu_v12 `prev_events`: "Must contain less than or equal to 20 events" (Synapse enforces it too). */
export const maxPrevEvents = 20;
/** pdu_v1 … pdu_v12 `auth_events`: "Must contain less than or equal to 10 events". */
export const maxAuthEvents = 10;
/** client-server-api "Size limits": `state_key` and `type` MUST NOT exceed 255 bytes. */
const maxKeyBytes = 255;
/** pdu_v1 … v4 `depth`: less than 2^63 − 1 (a double reads it as 2^63); depth_v6: 2^53 − 1. */
const maxDepthBeforeV6 = 2 ** 63 - 1;
const maxDepthStrict = Number.MAX_SAFE_INTEGER;

const utf8 = new TextEncoder();

/** `json` as a PDU of room version `rules`, or a MatrixError saying why it is not one. */
export function checkPduFormat(json: unknown, rules: RoomVersionRules): Pdu {
  if (!isJsonObject(json)) throw badJson('a PDU must be a JSON object');
  checkPduSize(canonicalPduBytes(json, rules));
  checkPduFields(json, rules);
  return json;
}

/**
 * The size in bytes of `pdu` as canonical JSON. Room versions 6 and later "strictly enforce" canonical
 * JSON (rooms/v6 "Canonical JSON"), so a float or an integer outside ±(2^53 − 1) anywhere in the event
 * throws M_BAD_JSON here. Earlier versions "MUST NOT strictly enforce" it (rooms/v1 "Canonical JSON"):
 * what canonical JSON cannot encode is measured as plain JSON instead.
 */
export function canonicalPduBytes(pdu: JsonObject, rules: Pick<RoomVersionRules, 'strictCanonicalJson'>): number {
  if (rules.strictCanonicalJson) return utf8.encode(canonicalJson(pdu)).length;
  try {
    return utf8.encode(canonicalJson(pdu)).length;
  } catch {
    return utf8.encode(JSON.stringify(pdu)).length;
  }
}

/** Throws M_TOO_LARGE past client-server-api "Size limits" 65,536 bytes. */
export function checkPduSize(bytes: number): void {
  if (bytes > maxPduBytes) throw new MatrixError('M_TOO_LARGE', `Event is ${bytes} bytes as canonical JSON; the limit is ${maxPduBytes}`);
}

/** Every check of checkPduFormat but the whole-event size, for callers that know the size already. */
export function checkPduFields(pdu: JsonObject, rules: RoomVersionRules): asserts pdu is Pdu {
  const type = requiredString(pdu, 'type');
  limitBytes('type', type, maxKeyBytes);

  // Historical user IDs: appendices "Historical User IDs" — servers "must still accept events using such user IDs over federation".
  const sender = requiredString(pdu, 'sender');
  limitBytes('sender', sender, maxIdentifierBytes);
  if (!isUserId(sender, { historical: true })) throw badJson(`"sender" is not a user ID: ${JSON.stringify(sender)}`);

  checkRoomId(pdu, type, rules);

  if (pdu.state_key !== undefined) {
    if (typeof pdu.state_key !== 'string') throw badJson('"state_key" must be a string');
    limitBytes('state_key', pdu.state_key, maxKeyBytes);
  }
  if (!isJsonObject(pdu.content)) throw badJson('"content" must be an object');

  // Integer ranges beyond ±(2^53 − 1) were already refused by canonical JSON in strict versions.
  const depth = requiredInteger(pdu, 'depth');
  if (depth < 0 || depth > (rules.strictCanonicalJson ? maxDepthStrict : maxDepthBeforeV6)) throw badJson(`"depth" ${depth} is out of range`);
  requiredInteger(pdu, 'origin_server_ts');

  // pdu_base: `hashes` (event_hash.yaml: `sha256` string required), `signatures` (server → key ID → signature).
  if (!isJsonObject(pdu.hashes) || typeof pdu.hashes.sha256 !== 'string') throw badJson('"hashes" must be an object with a string "sha256"');
  checkSignatures(pdu.signatures);
  if (pdu.unsigned !== undefined && !isJsonObject(pdu.unsigned)) throw badJson('"unsigned" must be an object');

  checkReferences(pdu, 'prev_events', maxPrevEvents, rules);
  checkReferences(pdu, 'auth_events', maxAuthEvents, rules);

  // rooms/v1 "Event format": the sender chooses and sends the event ID; from rooms/v3 it is computed.
  if (rules.eventIdFormat === 'server-generated') {
    const eventId = requiredString(pdu, 'event_id');
    limitBytes('event_id', eventId, maxIdentifierBytes);
    if (!isEventIdInVersion(eventId, rules)) throw badJson(`"event_id" is not an event ID of room version ${rules.id}: ${JSON.stringify(eventId)}`);
  }
  // pdu_v1 … pdu_v6 `redacts`: a string. rooms/v11 moved it into content, which the redaction rules read.
  if (!rules.redactsInContent && pdu.redacts !== undefined && typeof pdu.redacts !== 'string') throw badJson('"redacts" must be a string');
}

/**
 * room_id_before_v12: required, `!opaque:domain`. room_id_v12: required, `!` + hash, but "omitted from
 * m.room.create events"; a create event that has one anyway is rejected by rooms/v12 auth rule 1.2,
 * so here it only has to be a string.
 */
function checkRoomId(pdu: JsonObject, type: string, rules: RoomVersionRules): void {
  if (rules.roomIdFormat === 'create-event-reference-hash' && type === 'm.room.create') {
    if (pdu.room_id !== undefined && typeof pdu.room_id !== 'string') throw badJson('"room_id" must be a string');
    return;
  }
  const roomId = requiredString(pdu, 'room_id');
  limitBytes('room_id', roomId, maxIdentifierBytes);
  if (!isRoomIdInVersion(roomId, rules)) throw badJson(`"room_id" is not a room ID of room version ${rules.id}: ${JSON.stringify(roomId)}`);
}

/** rooms/v1 `[event_id, {sha256}]` pairs; rooms/v3 and later plain event IDs, in the version's format. */
function checkReferences(pdu: JsonObject, key: 'prev_events' | 'auth_events', max: number, rules: RoomVersionRules): void {
  const references = pdu[key];
  if (!Array.isArray(references)) throw badJson(`"${key}" must be an array`);
  if (references.length > max) throw badJson(`"${key}" has ${references.length} entries; at most ${max} are allowed`);
  const pairs = rules.eventIdFormat === 'server-generated';
  references.forEach((reference: unknown, index) => {
    const at = `"${key}"[${index}]`;
    let eventId: unknown = reference;
    if (pairs) {
      if (!Array.isArray(reference) || reference.length !== 2) throw badJson(`${at} must be an [event_id, {"sha256": hash}] pair`);
      const hash: unknown = reference[1];
      if (!isJsonObject(hash) || typeof hash.sha256 !== 'string') throw badJson(`${at} must carry a {"sha256": hash} object`);
      eventId = reference[0];
    }
    if (typeof eventId !== 'string' || !isEventIdInVersion(eventId, rules)) throw badJson(`${at} is not an event ID of room version ${rules.id}: ${JSON.stringify(eventId)}`);
  });
}

function checkSignatures(signatures: unknown): void {
  if (!isJsonObject(signatures)) throw badJson('"signatures" must be an object');
  for (const [server, keys] of Object.entries(signatures)) {
    if (!isJsonObject(keys) || !Object.values(keys).every((signature) => typeof signature === 'string')) {
      throw badJson(`"signatures"."${server}" must map key IDs to signature strings`);
    }
  }
}

function requiredString(pdu: JsonObject, key: string): string {
  const value = pdu[key];
  if (typeof value !== 'string') throw badJson(value === undefined ? `"${key}" is missing` : `"${key}" must be a string`);
  return value;
}

function requiredInteger(pdu: JsonObject, key: string): number {
  const value = pdu[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badJson(value === undefined ? `"${key}" is missing` : `"${key}" must be an integer`);
  return value;
}

function limitBytes(key: string, value: string, max: number): void {
  // No code unit takes more than 3 bytes, so short strings need no counting.
  if (value.length * 3 > max && utf8Length(value) > max) throw new MatrixError('M_TOO_LARGE', `"${key}" exceeds ${max} bytes`);
}

function badJson(problem: string): MatrixError {
  return new MatrixError('M_BAD_JSON', `Invalid PDU: ${problem}`);
}
