/**
 * Third-party invites in the membership rules (rooms/v1 "Authorization rules" 5.3.1, v6+ 4.x.1): an
 * `invite` whose content carries `third_party_invite.signed` is allowed when a signature in `signed`
 * verifies against a public key of the `m.room.third_party_invite` event named by `signed.token`
 * (client-server-api `m.room.third_party_invite`: `public_key` and `public_keys[].public_key`).
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { verifyJsonSignature } from '../crypto/sign-json.ts';
import type { RoomEvent } from '../events/pdu.ts';

/** `content.third_party_invite.signed` of a member event, when it is an object. */
export function thirdPartySigned(content: JsonObject): JsonObject | undefined {
  const invite = content.third_party_invite;
  const signed = isJsonObject(invite) ? invite.signed : undefined;
  return isJsonObject(signed) ? signed : undefined;
}

/** The public keys (unpadded base64 ed25519) an `m.room.third_party_invite` event offers. */
export function thirdPartyInvitePublicKeys(invite: RoomEvent): string[] {
  const keys: string[] = [];
  const { public_key: single, public_keys: list } = invite.content;
  if (typeof single === 'string') keys.push(single);
  if (Array.isArray(list)) {
    for (const entry of list) if (isJsonObject(entry) && typeof entry.public_key === 'string') keys.push(entry.public_key);
  }
  return keys;
}

/**
 * "If any signature in `signed` matches any public key in the `m.room.third_party_invite` event":
 * every (signing name, ed25519 key ID) of `signed.signatures` against every public key. Needs
 * libsodium loaded (initCrypto). Key revocation (`key_validity_url`) is the caller's concern.
 */
export function hasValidThirdPartySignature(signed: JsonObject, invite: RoomEvent): boolean {
  const { signatures } = signed;
  if (!isJsonObject(signatures)) return false;
  const publicKeys = thirdPartyInvitePublicKeys(invite);
  for (const [signingName, byKeyId] of Object.entries(signatures)) {
    if (!isJsonObject(byKeyId)) continue;
    for (const keyId of Object.keys(byKeyId)) {
      if (!keyId.startsWith('ed25519:')) continue;
      if (publicKeys.some((publicKey) => verifyJsonSignature(signed, signingName, keyId, publicKey))) return true;
    }
  }
  return false;
}
