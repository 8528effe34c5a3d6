/**
 * The two hashes of an event (server-server-api "Calculating the content hash for an event" and
 * "Calculating the reference hash for an event"). The content hash covers the whole unredacted event
 * and travels in `hashes.sha256`; the reference hash covers the redacted event and, from room version 3,
 * is the event ID.
 */
import { decodeBase64, encodeBase64 } from '../base64.ts';
import { canonicalJsonBytes, isJsonObject, type JsonObject } from '../canonical-json.ts';
import { sha256 } from '../crypto/sodium.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { redactEvent } from './redact.ts';

/** The content hash of `pdu`, unpadded base64 as it appears in `hashes.sha256`. */
export function computeContentHash(pdu: JsonObject): string {
  // "any existing unsigned, signatures, and hashes properties are removed".
  const { unsigned: _unsigned, signatures: _signatures, hashes: _hashes, ...hashed } = pdu;
  return encodeBase64(sha256(canonicalJsonBytes(hashed)));
}

/**
 * Whether `pdu.hashes.sha256` matches its content. Compared as decoded bytes, so a padded or
 * URL-safe encoding of the right hash also matches (server-server-api "the content hash … is
 * base64-decoded, and the two are compared").
 */
export function checkContentHash(pdu: JsonObject): boolean {
  const claimed = isJsonObject(pdu.hashes) ? pdu.hashes.sha256 : undefined;
  if (typeof claimed !== 'string') return false;
  let claimedBytes: Uint8Array;
  try {
    claimedBytes = decodeBase64(claimed);
  } catch {
    return false;
  }
  return encodeBase64(claimedBytes) === computeContentHash(pdu);
}

/** The 32-byte reference hash: sha256 of the redacted event without `signatures` and `unsigned`. */
export function computeReferenceHash(pdu: JsonObject, rules: RoomVersionRules): Uint8Array {
  const { signatures: _signatures, unsigned: _unsigned, ...referenced } = redactEvent(pdu, rules);
  return sha256(canonicalJsonBytes(referenced));
}
