/**
 * Real events signed by Synapse (test-vectors/synapse-events.json, a copy of ../shared/fixtures, described in its README): every
 * hash, event ID, redaction and signature must come out of our core exactly as Synapse computed it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { encodeBase64 } from '../base64.ts';
import type { JsonObject } from '../canonical-json.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import { computeEventId } from './event-id.ts';
import { checkContentHash, computeContentHash, computeReferenceHash } from './hashes.ts';
import { redactEvent } from './redact.ts';
import { verifyEventSignature } from './signatures.ts';

type FixtureEvent = {
  event_id: string;
  pdu: JsonObject;
  reference_hash_sha256: string;
  content_hash_sha256: string;
  redacted: JsonObject;
  signatures_valid: Record<string, boolean>;
};
type Fixtures = {
  servers: Record<string, Record<string, string>>;
  rooms: Array<{ room_version: string; room_id: string; events: FixtureEvent[] }>;
};

// shared/ sits beside the repository: src/core/events/ → ../../../../shared/.
const fixturesUrl = new URL('../../../test-vectors/synapse-events.json', import.meta.url);
const fixtures = JSON.parse(readFileSync(fixturesUrl, 'utf8')) as Fixtures;

describe('Synapse fixtures (shared/fixtures/synapse-events.json)', () => {
  before(initCrypto);

  it('cover room versions 1 to 10', () => {
    expect(fixtures.rooms.map((room) => room.room_version)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  for (const room of fixtures.rooms) {
    it(`reproduces hashes, event IDs, redactions and signatures in room version ${room.room_version} (${room.events.length} events)`, () => {
      const rules = getRoomVersion(room.room_version);
      const problems: string[] = [];
      const check = (event: FixtureEvent, what: string, ok: boolean): void => {
        if (!ok) problems.push(`${event.event_id}: ${what}`);
      };

      for (const event of room.events) {
        const { pdu } = event;
        const contentHash = computeContentHash(pdu);
        check(event, `content hash ${contentHash} ≠ ${event.content_hash_sha256}`, contentHash === event.content_hash_sha256);
        check(event, 'checkContentHash is false', checkContentHash(pdu));

        const referenceHash = encodeBase64(computeReferenceHash(pdu, rules));
        check(event, `reference hash ${referenceHash} ≠ ${event.reference_hash_sha256}`, referenceHash === event.reference_hash_sha256);

        const eventId = computeEventId(pdu, rules);
        check(event, `computed event ID ${eventId}`, eventId === event.event_id);

        // Synapse also carries `unsigned.age_ts`/`replaces_state` into its redacted copy; `unsigned` is
        // outside the redaction algorithm (not hashed, not signed) and redactEvent drops it.
        const { unsigned: _unsigned, ...synapseRedacted } = event.redacted;
        const redacted = redactEvent(pdu, rules);
        check(event, `redaction differs: ${JSON.stringify(redacted)}`, isDeepStrictEqual(redacted, synapseRedacted));

        for (const [server, valid] of Object.entries(event.signatures_valid)) {
          for (const [keyId, publicKey] of Object.entries(fixtures.servers[server] ?? {})) {
            check(event, `signature ${server} ${keyId} ≠ ${valid}`, verifyEventSignature(pdu, rules, server, keyId, publicKey) === valid);
            // server-server-api: the check "should succeed whether we have been sent the full event or a redacted copy".
            check(event, `signature ${server} ${keyId} on the redacted copy ≠ ${valid}`, verifyEventSignature(redacted, rules, server, keyId, publicKey) === valid);
            const tampered = { ...pdu, origin_server_ts: (pdu.origin_server_ts as number) + 1 };
            check(event, `signature ${server} ${keyId} verifies a tampered event`, !verifyEventSignature(tampered, rules, server, keyId, publicKey));
          }
        }
      }
      if (problems.length > 0) expect.fail(`${problems.length} mismatches in room ${room.room_id}:\n${problems.join('\n')}`);
    });
  }
});
