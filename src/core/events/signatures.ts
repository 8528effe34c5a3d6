/**
 * Event signatures (server-server-api "Signing events" and "Validating hashes and signatures on
 * received events"): an event is signed in its redacted form, so the signature still verifies after a
 * redaction, while the content hash it covers pins down the full content.
 */
import type { JsonObject } from '../canonical-json.ts';
import { signJson, verifyJsonSignature, type Signatures } from '../crypto/sign-json.ts';
import type { SigningKey } from '../crypto/signing-key.ts';
import { authorisingServerOf } from '../auth/check-membership.ts';
import { serverNameOf, type UserId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { computeContentHash } from './hashes.ts';
import type { RoomEvent } from './pdu.ts';
import { redactEvent } from './redact.ts';

/** A copy of `pdu` with its content hash set and `signingName`'s signature added to any already there. */
export function hashAndSignEvent(pdu: JsonObject, rules: RoomVersionRules, signingName: string, key: SigningKey): JsonObject & { signatures: Signatures } {
  const hashed = { ...pdu, hashes: { sha256: computeContentHash(pdu) } };
  const { signatures } = signJson(redactEvent(hashed, rules), signingName, key);
  return { ...hashed, signatures };
}

/** Whether `pdu` carries a valid signature by `signingName` with `keyId`, checked over its redacted form. */
export function verifyEventSignature(pdu: JsonObject, rules: RoomVersionRules, signingName: string, keyId: string, publicKeyBase64: string): boolean {
  return verifyJsonSignature(redactEvent(pdu, rules), signingName, keyId, publicKeyBase64);
}

/**
 * The servers whose signatures a received event must carry (server-server-api "Validating hashes and
 * signatures on received events"): the sender's server; for a restricted join, the server that
 * authorised it (rooms/v8 "Authorisation rules" 4.2); in room versions whose event IDs name a server
 * (v1, v2), that server too.
 */
export function requiredSigners(event: RoomEvent, rules: RoomVersionRules): Set<string> {
  const signers = new Set<string>();
  const sender = serverNameOf(event.sender as UserId);
  if (sender) signers.add(sender);
  const authorising = authorisingServerOf(event, rules);
  if (authorising) signers.add(authorising);
  if (rules.eventIdFormat === 'server-generated') {
    const origin = serverNameOf(event.eventId);
    if (origin) signers.add(origin);
  }
  return signers;
}

/**
 * `pdu` with `signingName`'s signature added beside those it carries, its hashes untouched (a server
 * co-signing another's event, as the invitee's server does in server-server-api "Inviting to a room").
 */
export function addEventSignature(pdu: JsonObject, rules: RoomVersionRules, signingName: string, key: SigningKey): JsonObject & { signatures: Signatures } {
  const { signatures } = signJson(redactEvent(pdu, rules), signingName, key);
  return { ...pdu, signatures };
}
