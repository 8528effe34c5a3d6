/**
 * Event signing and verification throughput, next to raw libsodium on the same bytes in the same run:
 * the ratio is what our hashing, redaction and canonical JSON add to Ed25519 itself.
 *
 * - build: `buildEvent` on a realistic m.room.message (content hash, redaction, signature, event ID, format check);
 * - hash+sign: `hashAndSignEvent` on the same event, unsigned;
 * - verify: `verifyEventSignature` on the signed event (redaction, canonical JSON, Ed25519 verify);
 * - raw: `crypto_sign_detached` / `crypto_sign_verify_detached` on the canonical bytes those sign;
 * - raw hash+sign: libsodium's sha256 of the content-hash bytes plus the signature: the work the
 *   protocol itself demands, so its ratio to ours is our overhead alone.
 *
 * Room versions 10 (the last with `origin`-era redaction) and 12 (hash room IDs); each loop runs ~1.5 s.
 */
import { canonicalJsonBytes } from '../src/core/canonical-json.ts';
import { encodePublicKey, signingKeyFromSeed, type SigningKey } from '../src/core/crypto/signing-key.ts';
import { initCrypto, loadedSodium, sha256 } from '../src/core/crypto/sodium.ts';
import { buildEvent, type EventToBuild } from '../src/core/events/build-event.ts';
import { redactEvent } from '../src/core/events/redact.ts';
import { hashAndSignEvent, verifyEventSignature } from '../src/core/events/signatures.ts';
import type { EventId, RoomId, UserId } from '../src/core/ids/identifiers.ts';
import { getRoomVersion } from '../src/core/room-versions/known-versions.ts';

const loopMs = 1500;
const serverName = 'bench.example.org';

/** Calls `work` in batches until `loopMs` have passed; operations per second. */
function rate(work: () => void): number {
  for (let i = 0; i < 200; i++) work(); // warm-up, so the JIT has settled
  let operations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < loopMs) {
    for (let i = 0; i < 100; i++) work();
    operations += 100;
    elapsed = performance.now() - start;
  }
  return Math.round((operations * 1000) / elapsed);
}

/** A message as clients send them: text with formatting, a reply relation, mentions; cites 1 prev and 3 auth events. */
function messageDraft(version: string): EventToBuild {
  const rules = getRoomVersion(version);
  const hash = (c: string) => `$${c.repeat(43)}` as EventId;
  return {
    rules,
    roomId: (rules.roomIdFormat === 'server-generated' ? `!bNVPvqJwyXwOzYtBxk:${serverName}` : '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ') as RoomId,
    type: 'm.room.message',
    sender: `@alice:${serverName}` as UserId,
    content: {
      msgtype: 'm.text',
      body: '> <@bob:example.com> Are we still on for Thursday?\n\nYes! Room 4.02 at 14:00 — I’ll bring the slides 📊',
      format: 'org.matrix.custom.html',
      formatted_body: '<mx-reply><blockquote>Are we still on for Thursday?</blockquote></mx-reply>Yes! Room <b>4.02</b> at 14:00 — I’ll bring the slides 📊',
      'm.relates_to': { 'm.in_reply_to': { event_id: hash('R') } },
      'm.mentions': { user_ids: ['@bob:example.com'] },
    },
    prevEvents: [hash('P')],
    authEvents: [hash('A'), hash('B'), hash('C')],
    depth: 1234,
    originServerTs: 1_760_000_000_000,
  };
}

function versionFigures(version: string, key: SigningKey): Record<string, number> {
  const sodium = loadedSodium();
  const draft = messageDraft(version);
  const { rules } = draft;
  const signer = { serverName, key };
  const { pdu } = buildEvent(draft, signer);
  const { hashes: _hashes, signatures: _signatures, ...unsignedPdu } = pdu;
  const publicKey = encodePublicKey(key);

  // The bytes Ed25519 signs: the redacted event without signatures (server-server-api "Signing Events").
  const { signatures: _s, ...redacted } = redactEvent(pdu, rules);
  const signedBytes = canonicalJsonBytes(redacted);
  const signature = sodium.crypto_sign_detached(signedBytes, key.secretKey);
  // The bytes the content hash covers: the event without hashes, signatures and unsigned.
  const contentBytes = canonicalJsonBytes(unsignedPdu);

  const build = rate(() => buildEvent(draft, signer));
  const hashAndSign = rate(() => hashAndSignEvent(unsignedPdu, rules, serverName, key));
  const rawSign = rate(() => sodium.crypto_sign_detached(signedBytes, key.secretKey));
  const rawHashAndSign = rate(() => {
    sha256(contentBytes);
    sodium.crypto_sign_detached(signedBytes, key.secretKey);
  });
  const verify = rate(() => verifyEventSignature(pdu, rules, serverName, key.keyId, publicKey));
  const rawVerify = rate(() => sodium.crypto_sign_verify_detached(signature, signedBytes, key.publicKey));

  const prefix = `signing_v${version}`;
  return {
    [`${prefix}_event_bytes`]: canonicalJsonBytes(pdu).length,
    [`${prefix}_build_event_per_s`]: build,
    [`${prefix}_hash_and_sign_per_s`]: hashAndSign,
    [`${prefix}_raw_sign_per_s`]: rawSign,
    [`${prefix}_raw_hash_and_sign_per_s`]: rawHashAndSign,
    [`${prefix}_build_overhead_ratio`]: ratio(rawSign, build),
    [`${prefix}_hash_and_sign_overhead_ratio`]: ratio(rawSign, hashAndSign),
    [`${prefix}_hash_and_sign_vs_raw_hash_and_sign`]: ratio(rawHashAndSign, hashAndSign),
    [`${prefix}_verify_per_s`]: verify,
    [`${prefix}_raw_verify_per_s`]: rawVerify,
    [`${prefix}_verify_overhead_ratio`]: ratio(rawVerify, verify),
  };
}

/**
 * Signature checks per second on a signed message event of room `version`: ours
 * (`verifyEventSignature`: redaction, canonical JSON, Ed25519) and raw libsodium on the same bytes.
 * For other benchmarks to set their figures beside what this machine's Ed25519 can do.
 */
export async function verifyRates(version: string): Promise<{ eventBytes: number; verifyPerS: number; rawVerifyPerS: number }> {
  await initCrypto();
  const sodium = loadedSodium();
  const key = signingKeyFromSeed('bench', new Uint8Array(32).fill(42));
  const draft = messageDraft(version);
  const { pdu } = buildEvent(draft, { serverName, key });
  const { signatures: _s, ...redacted } = redactEvent(pdu, draft.rules);
  const signedBytes = canonicalJsonBytes(redacted);
  const signature = sodium.crypto_sign_detached(signedBytes, key.secretKey);
  const publicKey = encodePublicKey(key);
  return {
    eventBytes: canonicalJsonBytes(pdu).length,
    verifyPerS: rate(() => verifyEventSignature(pdu, draft.rules, serverName, key.keyId, publicKey)),
    rawVerifyPerS: rate(() => sodium.crypto_sign_verify_detached(signature, signedBytes, key.publicKey)),
  };
}

/** How many times slower ours is than raw libsodium (1.00 = no overhead). */
function ratio(raw: number, ours: number): number {
  return Math.round((raw / ours) * 100) / 100;
}

export async function signingFigures(): Promise<Record<string, number | string>> {
  await initCrypto();
  const key = signingKeyFromSeed('bench', new Uint8Array(32).fill(42));
  const figures: Record<string, number | string> = {};
  for (const version of ['10', '12']) Object.assign(figures, versionFigures(version, key));
  return figures;
}
