/**
 * Step 2 of server-server-api "Checks performed on receipt of a PDU": the event carries a valid
 * signature of every server that must sign it (appendices "Validating hashes and signatures on received
 * events"), each by a key of that server valid when the event was sent where the room version enforces
 * key validity (rooms/v5 "Signing key validity period").
 */
import { isJsonObject } from '../../../core/canonical-json.ts';
import { requiredSigners, verifyEventSignature } from '../../../core/events/signatures.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../../core/events/pdu.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';

/** Another server's public keys, as RemoteServerKeys answers for them (base64, or undefined when unknown or not valid then). */
export interface ServerKeyLookup {
  verifyKey(serverName: string, keyId: string, options: { validAt?: number }): Promise<string | undefined>;
}

/** Whether every required signature is present and valid; the reason when not. */
export async function checkSignatures(event: RoomEvent, rules: RoomVersionRules, keys: ServerKeyLookup): Promise<string | null> {
  const signatures = event.pdu.signatures;
  for (const server of requiredSigners(event, rules)) {
    const bySever = isJsonObject(signatures) ? signatures[server] : undefined;
    if (!isJsonObject(bySever)) return `no signature of ${server}`;
    let valid = false;
    for (const keyId of Object.keys(bySever).filter((id) => id.startsWith('ed25519:'))) {
      // Before room v5 a key counts whenever it was valid (validAt 0).
      const key = await keys.verifyKey(server, keyId, { validAt: rules.enforceKeyValidity ? event.originServerTs : 0 });
      if (key !== undefined && verifyEventSignature(event.pdu, rules, server, keyId, key)) {
        valid = true;
        break;
      }
    }
    if (!valid) return `no valid signature of ${server}`;
  }
  return null;
}

/**
 * `event` carrying `server`'s signature as found on `returned` (another server's copy of the event,
 * e.g. an invite or a restricted join it co-signed), checked over our own event: nothing else of the
 * copy is used. Undefined when the copy holds no valid signature of `server`.
 */
export async function adoptSignature(event: RoomEvent, returned: unknown, server: string, rules: RoomVersionRules, keys: ServerKeyLookup): Promise<RoomEvent | undefined> {
  const signatures = isJsonObject(returned) && isJsonObject(returned.signatures) ? returned.signatures[server] : undefined;
  const ours = isJsonObject(event.pdu.signatures) ? event.pdu.signatures : {};
  for (const [keyId, signature] of isJsonObject(signatures) ? Object.entries(signatures) : []) {
    if (typeof signature !== 'string') continue;
    const candidate = { ...event.pdu, signatures: { ...ours, [server]: { [keyId]: signature } } };
    // Before room v5 a key counts whenever it was valid (validAt 0).
    const key = await keys.verifyKey(server, keyId, { validAt: rules.enforceKeyValidity ? event.originServerTs : 0 });
    if (key !== undefined && verifyEventSignature(candidate, rules, server, keyId, key)) return toRoomEvent(candidate as Pdu, rules, event.eventId);
  }
  return undefined;
}
