import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { encodeBase64, encodeBase64Url } from '../base64.ts';
import type { JsonObject } from '../canonical-json.ts';
import { encodePublicKey, signingKeyFromSeed, type SigningKey } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import type { MatrixError } from '../errors.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import { getRoomVersion, supportedRoomVersions } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { buildEvent, type EventToBuild } from './build-event.ts';
import { canonicalPduBytes, checkPduFormat, maxPduBytes } from './check-pdu-format.ts';
import { computeEventId } from './event-id.ts';
import { checkContentHash, computeReferenceHash } from './hashes.ts';
import { toRoomEvent, type RoomEvent } from './pdu.ts';
import { verifyEventSignature } from './signatures.ts';

const server = 'build.test';
const alice = '@alice:build.test' as UserId;
const bob = '@bob:build.test' as UserId;

describe('buildEvent (rooms/v1 … v12 "Event format"; server-server-api "Signing Events")', () => {
  let key: SigningKey;
  let signer: { serverName: string; key: SigningKey };
  before(async () => {
    await initCrypto();
    key = signingKeyFromSeed('a_test', new Uint8Array(32).fill(7));
    signer = { serverName: server, key };
  });

  /** Every check a receiving server makes on the format, hashes, signature and ID of `built`. */
  function expectValid(built: { pdu: JsonObject; event: RoomEvent }, rules: RoomVersionRules): void {
    const { pdu, event } = built;
    expect(checkPduFormat(structuredClone(pdu), rules)).to.deep.equal(pdu);
    expect(checkContentHash(pdu), 'content hash').to.equal(true);
    expect(verifyEventSignature(pdu, rules, server, key.keyId, encodePublicKey(key)), 'signature').to.equal(true);
    expect(computeEventId(pdu, rules), 'event ID').to.equal(event.eventId);
    expect(toRoomEvent(pdu as never, rules)).to.deep.equal(event);
    expect(pdu).to.not.have.property('unsigned');
  }

  /** A small room: create, the creator's join, power levels and a message, each citing what the rules would. */
  function buildRoom(rules: RoomVersionRules): { create: RoomEvent; join: RoomEvent; powerLevels: RoomEvent; message: RoomEvent } {
    const hashRoomId = rules.roomIdFormat === 'create-event-reference-hash';
    const base = { rules, sender: alice };
    const content = rules.creatorFromSender ? { room_version: rules.id } : { creator: alice, room_version: rules.id };
    const create = buildEvent({ ...base, roomId: hashRoomId ? undefined : ('!room:build.test' as RoomId), type: 'm.room.create', stateKey: '', content, prevEvents: [], authEvents: [], depth: 1, originServerTs: 1000 }, signer);
    const roomId = create.event.roomId;
    // rooms/v12 auth rule 3.2: the create event is not cited in auth_events.
    const createAuth = rules.createInAuthEvents ? [create.event] : [];
    const join = buildEvent({ ...base, roomId, type: 'm.room.member', stateKey: alice, content: { membership: 'join' }, prevEvents: [create.event], authEvents: createAuth, depth: 2, originServerTs: 1001 }, signer);
    const powerLevels = buildEvent(
      { ...base, roomId, type: 'm.room.power_levels', stateKey: '', content: { users: { [alice]: 100 } }, prevEvents: [join.event], authEvents: [...createAuth, join.event], depth: 3, originServerTs: 1002 },
      signer,
    );
    const message = buildEvent(
      { ...base, roomId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'héllo 😀' }, prevEvents: [powerLevels.event], authEvents: [...createAuth, powerLevels.event, join.event], depth: 4, originServerTs: 1003 },
      signer,
    );
    for (const built of [create, join, powerLevels, message]) expectValid(built, rules);
    return { create: create.event, join: join.event, powerLevels: powerLevels.event, message: message.event };
  }

  for (const version of supportedRoomVersions) {
    it(`room version ${version}: events pass the format check, their content hash, signature and ID check out`, () => {
      const rules = getRoomVersion(version);
      const { create, join, powerLevels, message } = buildRoom(rules);
      expect(message.prevEventIds).to.deep.equal([powerLevels.eventId]);
      expect(join.prevEventIds).to.deep.equal([create.eventId]);
      expect(message.roomId).to.equal(create.roomId);
      expect(message.depth).to.equal(4);
      expect(message.originServerTs).to.equal(1003);
      expect(message.stateKey).to.equal(undefined);
      expect(message.pdu).to.not.have.property('state_key');
      expect(join.stateKey).to.equal(alice);

      switch (rules.eventIdFormat) {
        case 'server-generated':
          // rooms/v1 "Event IDs": `$opaque_id:domain`, and references are [id, {sha256: reference hash}].
          expect(message.eventId).to.match(/^\$[A-Za-z0-9]{18}:build\.test$/);
          expect(message.pdu.event_id).to.equal(message.eventId);
          expect(join.pdu.prev_events).to.deep.equal([[create.eventId, { sha256: encodeBase64(computeReferenceHash(create.pdu, rules)) }]]);
          break;
        case 'reference-hash-base64':
          expect(message.eventId).to.equal(`$${encodeBase64(computeReferenceHash(message.pdu, rules))}`);
          expect(message.pdu).to.not.have.property('event_id');
          expect(join.pdu.prev_events).to.deep.equal([create.eventId]);
          break;
        case 'reference-hash-base64url':
          expect(message.eventId).to.equal(`$${encodeBase64Url(computeReferenceHash(message.pdu, rules))}`);
          expect(message.pdu).to.not.have.property('event_id');
          expect(join.pdu.prev_events).to.deep.equal([create.eventId]);
          break;
      }

      if (rules.roomIdFormat === 'create-event-reference-hash') {
        // rooms/v12: the create event has no room_id; the room ID is `!` + its reference hash, URL-safe.
        expect(create.pdu).to.not.have.property('room_id');
        expect(create.roomId).to.equal(`!${encodeBase64Url(computeReferenceHash(create.pdu, rules))}`);
        expect(create.roomId).to.equal(`!${create.eventId.slice(1)}`);
        expect(message.pdu.room_id).to.equal(create.roomId);
        expect(message.authEventIds).to.not.include(create.eventId);
      } else {
        expect(create.pdu.room_id).to.equal('!room:build.test');
      }
    });
  }

  it('writes no top-level origin unless asked (matrix-spec PR #998; Synapse PR #18418), and signs it when asked', () => {
    for (const version of ['1', '10', '11']) {
      const rules = getRoomVersion(version);
      const draft = { rules, roomId: '!r:build.test' as RoomId, type: 'm.room.message', sender: alice, content: { body: 'x' }, prevEvents: [], authEvents: [], depth: 1, originServerTs: 5 };
      expect(buildEvent(draft, signer).pdu).to.not.have.property('origin');
      const withOrigin = buildEvent({ ...draft, origin: server }, signer);
      expect(withOrigin.pdu.origin).to.equal(server);
      expectValid(withOrigin, rules);
      // v1–v10 protect `origin` from redaction, so the signature covers it; v11 does not.
      const tampered = { ...withOrigin.pdu, origin: 'elsewhere.test' };
      expect(verifyEventSignature(tampered, rules, server, key.keyId, encodePublicKey(key))).to.equal(rules.redactionKeepsOriginMembershipPrevState === false);
    }
  });

  it('places redacts at the top level before v11 and in content from v11 (rooms/v11 "Moving the redacts property")', () => {
    for (const version of supportedRoomVersions) {
      const rules = getRoomVersion(version);
      const target = buildRoom(rules).message;
      const built = buildEvent(
        { rules, roomId: target.roomId, type: 'm.room.redaction', sender: alice, content: { reason: 'spam' }, redacts: target.eventId, prevEvents: [target], authEvents: [], depth: 5, originServerTs: 2000 },
        signer,
      );
      expectValid(built, rules);
      expect(built.event.redacts).to.equal(target.eventId);
      if (rules.redactsInContent) {
        expect(built.pdu.content).to.deep.equal({ reason: 'spam', redacts: target.eventId });
        expect(built.pdu).to.not.have.property('redacts');
      } else {
        expect(built.pdu.content).to.deep.equal({ reason: 'spam' });
        expect(built.pdu.redacts).to.equal(target.eventId);
      }
    }
  });

  it('makes v1–v2 event IDs from the injected random bytes: 18 unbiased alphanumerics', () => {
    const rules = getRoomVersion('1');
    // 248..255 would bias the alphabet, so they are drawn again.
    const draws = [Uint8Array.from([255, 248, 0, 1, 61, 62, ...new Array<number>(12).fill(10)]), new Uint8Array(18).fill(25)];
    const built = buildEvent(
      { rules, roomId: '!r:build.test' as RoomId, type: 'm.room.message', sender: alice, content: {}, prevEvents: [], authEvents: [], depth: 1, originServerTs: 1 },
      { ...signer, randomBytes: (length) => draws.shift()!.subarray(0, length) },
    );
    expect(built.event.eventId).to.equal(`$AB9A${'K'.repeat(12)}ZZ:build.test`);
  });

  it('in v1–v2 takes the reference hash given with a reference, or computes it from its PDU, and refuses bare IDs', () => {
    const rules = getRoomVersion('2');
    const draft = { rules, roomId: '!r:build.test' as RoomId, type: 'm.room.message', sender: alice, content: {}, authEvents: [], depth: 2, originServerTs: 1 };
    const given = buildEvent({ ...draft, prevEvents: [{ eventId: '$p:elsewhere.test' as EventId, referenceHash: 'abase64encodedsha256hashshouldbe43byteslong' }] }, signer);
    expect(given.pdu.prev_events).to.deep.equal([['$p:elsewhere.test', { sha256: 'abase64encodedsha256hashshouldbe43byteslong' }]]);
    expect(() => buildEvent({ ...draft, prevEvents: ['$p:elsewhere.test' as EventId] }, signer)).to.throw('reference hash');
    expect(() => buildEvent({ ...draft, prevEvents: [{ eventId: '$p:elsewhere.test' as EventId }] }, signer)).to.throw('reference hash');
    // From v3 the ID is all that is written.
    const v3 = buildEvent({ ...draft, rules: getRoomVersion('3'), prevEvents: [`$${'A'.repeat(43)}` as EventId] }, signer);
    expect(v3.pdu.prev_events).to.deep.equal([`$${'A'.repeat(43)}`]);
  });

  it('cites v1–v2 events with the hash Synapse wrote for them (test-vectors/synapse-events.json)', () => {
    type Room = { room_version: string; events: Array<{ event_id: string; pdu: JsonObject }> };
    const fixtures = JSON.parse(readFileSync(new URL('../../../test-vectors/synapse-events.json', import.meta.url), 'utf8')) as { rooms: Room[] };
    let checked = 0;
    for (const room of fixtures.rooms.filter((r) => getRoomVersion(r.room_version).eventIdFormat === 'server-generated')) {
      const rules = getRoomVersion(room.room_version);
      const byId = new Map(room.events.map((event) => [event.event_id, event]));
      for (const event of room.events) {
        const cited = byId.get(event.event_id)!;
        const rebuilt = buildEvent(
          { rules, roomId: cited.pdu.room_id as RoomId, type: 'm.room.message', sender: bob, content: {}, prevEvents: [{ eventId: cited.event_id as EventId, pdu: cited.pdu }], authEvents: [], depth: 1, originServerTs: 1 },
          signer,
        );
        // Every pair Synapse wrote citing this event carries the same hash as ours.
        for (const citing of room.events) {
          for (const [id, hash] of [...(citing.pdu.prev_events as [string, JsonObject][]), ...(citing.pdu.auth_events as [string, JsonObject][])]) {
            if (id !== event.event_id) continue;
            expect(rebuilt.pdu.prev_events[0]).to.deep.equal([id, hash]);
            checked++;
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(50);
  });

  describe('refuses events that would not pass the format check', () => {
    const rules = getRoomVersion('10');
    const draft: EventToBuild = { rules, roomId: '!r:build.test' as RoomId, type: 'm.room.message', sender: alice, content: {}, prevEvents: [], authEvents: [], depth: 1, originServerTs: 1 };
    const failure = (change: Partial<EventToBuild>): MatrixError => {
      try {
        buildEvent({ ...draft, ...change }, signer);
      } catch (error) {
        return error as MatrixError;
      }
      throw new Error('built');
    };

    it('a room ID on a v12 create event, or none on any other event', () => {
      expect(failure({ rules: getRoomVersion('12'), type: 'm.room.create', stateKey: '' }).errcode).to.equal('M_INVALID_PARAM');
      expect(failure({ roomId: undefined }).errcode).to.equal('M_INVALID_PARAM');
      expect(failure({ rules: getRoomVersion('12'), roomId: undefined }).errcode).to.equal('M_INVALID_PARAM');
      expect(failure({ rules: getRoomVersion('12') }).errcode).to.equal('M_BAD_JSON'); // !r:build.test is not a v12 room ID
    });

    it('events over 65,536 bytes of canonical JSON, exactly at the limit', () => {
      const sized = (bodyLength: number) => buildEvent({ ...draft, content: { body: 'x'.repeat(bodyLength) } }, signer).pdu;
      const overhead = canonicalPduBytes(sized(0), rules);
      const largest = sized(maxPduBytes - overhead);
      expect(canonicalPduBytes(largest, rules)).to.equal(maxPduBytes);
      expect(failure({ content: { body: 'x'.repeat(maxPduBytes - overhead + 1) } }).errcode).to.equal('M_TOO_LARGE');
      // Multi-byte characters count as bytes.
      expect(failure({ content: { body: 'é'.repeat(Math.floor((maxPduBytes - overhead) / 2) + 1) } }).errcode).to.equal('M_TOO_LARGE');
    });

    it('a state key or type over 255 bytes', () => {
      expect(failure({ stateKey: 'é'.repeat(128) }).errcode).to.equal('M_TOO_LARGE');
      expect(failure({ type: 'x'.repeat(256) }).errcode).to.equal('M_TOO_LARGE');
      expect(buildEvent({ ...draft, stateKey: 'x'.repeat(255), type: 'x'.repeat(255) }, signer).event.stateKey).to.have.length(255);
    });

    it('floats and unsafe integers (canonical JSON), bad depths, and more than 20 prev events', () => {
      expect(failure({ content: { n: 1.5 } }).errcode).to.equal('M_BAD_JSON');
      expect(failure({ content: { n: 2 ** 53 } }).errcode).to.equal('M_BAD_JSON');
      expect(failure({ depth: 1.5 }).errcode).to.equal('M_BAD_JSON');
      expect(failure({ depth: -1 }).errcode).to.equal('M_BAD_JSON');
      const ids = Array.from({ length: 21 }, (_, i) => `$${String(i).padStart(43, 'A')}` as EventId);
      expect(failure({ prevEvents: ids }).message).to.contain('at most 20');
      expect(buildEvent({ ...draft, prevEvents: ids.slice(1) }, signer).event.prevEventIds).to.have.length(20);
    });

    it('malformed sender and referenced event IDs of another room version', () => {
      expect(failure({ sender: 'alice' as UserId }).errcode).to.equal('M_BAD_JSON');
      expect(failure({ prevEvents: ['$abc:build.test' as EventId] }).message).to.contain('prev_events');
    });
  });
});
