import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { JsonObject } from '../canonical-json.ts';
import { signingKeyFromSeed } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { isMatrixError } from '../errors.ts';
import type { RoomId, UserId } from '../ids/identifiers.ts';
import { getRoomVersion, supportedRoomVersions } from '../room-versions/known-versions.ts';
import { buildEvent } from './build-event.ts';
import { canonicalPduBytes, checkPduFormat, maxPduBytes } from './check-pdu-format.ts';

type Fixtures = { rooms: Array<{ room_version: string; events: Array<{ pdu: JsonObject }> }> };
const fixtures = JSON.parse(readFileSync(new URL('../../../test-vectors/synapse-events.json', import.meta.url), 'utf8')) as Fixtures;

const v1 = getRoomVersion('1');
const v3 = getRoomVersion('3');
const v5 = getRoomVersion('5');
const v6 = getRoomVersion('6');
const v10 = getRoomVersion('10');
const v11 = getRoomVersion('11');
const v12 = getRoomVersion('12');
const hashId = (c: string) => `$${c.repeat(43)}`;

/** The errcode and message checkPduFormat throws for `pdu`. */
function rejection(pdu: unknown, rules = v10): { errcode: string; message: string } {
  try {
    checkPduFormat(pdu, rules);
  } catch (error) {
    if (!isMatrixError(error)) throw error;
    return { errcode: error.errcode, message: error.message };
  }
  throw new Error('checkPduFormat accepted the PDU');
}

function expectBadJson(pdu: unknown, rules: Parameters<typeof rejection>[1], field: string): void {
  const { errcode, message } = rejection(pdu, rules);
  expect(errcode, message).to.equal('M_BAD_JSON');
  expect(message).to.contain(field);
}

describe('checkPduFormat (server-server-api "Checks performed on receipt of a PDU" step 1)', () => {
  // A valid v10 message and v1 member event to vary one key at a time.
  let message: JsonObject;
  let legacy: JsonObject;
  const without = (pdu: JsonObject, key: string): JsonObject => Object.fromEntries(Object.entries(pdu).filter(([k]) => k !== key));
  const withKey = (pdu: JsonObject, key: string, value: unknown): JsonObject => ({ ...pdu, [key]: value });

  before(async () => {
    await initCrypto();
    const signer = { serverName: 'format.test', key: signingKeyFromSeed('k', new Uint8Array(32).fill(3)) };
    message = buildEvent(
      { rules: v10, roomId: '!r:format.test' as RoomId, type: 'm.room.message', sender: '@a:format.test' as UserId, content: { body: 'hi' }, prevEvents: [hashId('A') as never], authEvents: [hashId('B') as never], depth: 7, originServerTs: 1_700_000_000_000 },
      signer,
    ).pdu;
    legacy = fixtures.rooms[0]!.events[1]!.pdu;
  });

  describe('accepts', () => {
    it('every event Synapse produced in room versions 1 to 10', () => {
      let count = 0;
      for (const room of fixtures.rooms) {
        for (const { pdu } of room.events) {
          expect(checkPduFormat(pdu, getRoomVersion(room.room_version))).to.equal(pdu);
          count++;
        }
      }
      expect(count).to.equal(180);
    });

    it('the events buildEvent makes in every version, including a v12 create event without room_id', () => {
      const signer = { serverName: 'format.test', key: signingKeyFromSeed('k', new Uint8Array(32).fill(3)) };
      for (const version of supportedRoomVersions) {
        const rules = getRoomVersion(version);
        const hashRooms = rules.roomIdFormat === 'create-event-reference-hash';
        const { pdu } = buildEvent(
          { rules, roomId: hashRooms ? undefined : ('!r:format.test' as RoomId), type: 'm.room.create', stateKey: '', sender: '@a:format.test' as UserId, content: {}, prevEvents: [], authEvents: [], depth: 1, originServerTs: 1 },
          signer,
        );
        expect(checkPduFormat(pdu, rules), version).to.equal(pdu);
      }
    });

    it('historical user IDs as sender (appendices "Historical User IDs")', () => {
      expect(checkPduFormat(withKey(message, 'sender', '@Alice Smith:format.test'), v10).sender).to.equal('@Alice Smith:format.test');
      expect(checkPduFormat(withKey(message, 'sender', '@:format.test'), v10).sender).to.equal('@:format.test');
    });

    it('depth 0 and the largest depth of the version; negative and large origin_server_ts', () => {
      expect(checkPduFormat(withKey(message, 'depth', 0), v10).depth).to.equal(0);
      expect(checkPduFormat(withKey(message, 'depth', Number.MAX_SAFE_INTEGER), v10).depth).to.equal(Number.MAX_SAFE_INTEGER);
      // pdu_v1/v3/v4: below 2^63 − 1 before strict canonical JSON (v6).
      expect(checkPduFormat(withKey(message, 'depth', 2 ** 60), v5).depth).to.equal(2 ** 60);
      expect(checkPduFormat(withKey(message, 'origin_server_ts', -1), v10).origin_server_ts).to.equal(-1);
    });

    it('unknown keys, an event_id from v3 on (no longer sent, simply hashed), and unsigned objects', () => {
      const extra = { ...message, origin: 'format.test', prev_state: [], event_id: 'anything', unsigned: { age: 5 }, custom: { x: 1 } };
      expect(checkPduFormat(extra, v10)).to.equal(extra);
    });

    it('a v11 redaction with a non-string top-level redacts (it moved to content)', () => {
      expect(checkPduFormat({ ...message, redacts: 5 }, v11).redacts).to.equal(5);
    });
  });

  describe('rejects (M_BAD_JSON) a malformed event', () => {
    it('that is not a JSON object', () => {
      for (const value of [null, [], 'event', 42, undefined]) expectBadJson(value, v10, 'JSON object');
    });

    it('missing any key pdu_base requires, or prev_events and auth_events', () => {
      for (const key of ['type', 'sender', 'content', 'depth', 'origin_server_ts', 'hashes', 'signatures', 'prev_events', 'auth_events', 'room_id']) {
        expectBadJson(without(message, key), v10, key);
      }
    });

    it('missing event_id in room versions 1 and 2 (pdu_v1)', () => {
      expectBadJson(without(legacy, 'event_id'), v1, '"event_id" is missing');
      expectBadJson(withKey(legacy, 'event_id', hashId('A')), v1, 'event_id');
      expectBadJson(withKey(legacy, 'event_id', 5), v1, 'event_id');
    });

    it('with keys of the wrong JSON type', () => {
      const cases: Array<[string, unknown]> = [
        ['type', 5], ['sender', ['@a:b']], ['room_id', null], ['state_key', 5], ['state_key', null], ['content', []], ['content', 'x'],
        ['depth', '7'], ['depth', 7.5], ['origin_server_ts', '1'], ['origin_server_ts', 1.5], ['hashes', 'h'], ['hashes', {}], ['hashes', { sha256: 5 }],
        ['signatures', []], ['signatures', { 'format.test': 'sig' }], ['signatures', { 'format.test': { 'ed25519:k': 5 } }], ['unsigned', []],
        ['prev_events', {}], ['auth_events', 'x'], ['redacts', 5],
      ];
      // Room version 5: floats are not refused as canonical JSON first, so the type checks speak.
      for (const [key, value] of cases) expectBadJson(withKey(message, key, value), v5, key);
    });

    it('whose sender is not a user ID', () => {
      for (const sender of ['alice', '@alice', '@a\0b:format.test', '@a:bad_domain', '!a:format.test']) expectBadJson(withKey(message, 'sender', sender), v10, 'sender');
    });

    it('whose room_id is not of the room version (room_id_before_v12, room_id_v12)', () => {
      const hashRoom = `!${'R'.repeat(43)}`;
      expectBadJson(withKey(message, 'room_id', hashRoom), v11, 'room_id');
      expectBadJson(withKey(message, 'room_id', 'r:format.test'), v11, 'room_id');
      expectBadJson(withKey(message, 'room_id', '!r:format.test'), v12, 'room_id');
      expectBadJson(without(message, 'room_id'), v12, 'room_id');
      expect(checkPduFormat({ ...message, room_id: hashRoom }, v12).room_id).to.equal(hashRoom);
      // A v12 create event needs none; one that has one is left to auth rule 1.2, but must be a string.
      const create = { ...without(message, 'room_id'), type: 'm.room.create', state_key: '' };
      expect(checkPduFormat(create, v12)).to.equal(create);
      expect(checkPduFormat({ ...create, room_id: hashRoom }, v12).room_id).to.equal(hashRoom);
      expectBadJson({ ...create, room_id: 5 }, v12, 'room_id');
      expectBadJson(create, v11, 'room_id');
    });

    it('with a negative depth, or one beyond the version maximum (depth_v6: 2^53 − 1)', () => {
      expectBadJson(withKey(message, 'depth', -1), v10, 'depth');
      expectBadJson(withKey(message, 'depth', 2 ** 64), v5, 'depth');
      expectBadJson(withKey(message, 'depth', 2 ** 53), v6, 'depth');
    });

    it('with prev_events or auth_events not in the version format', () => {
      // rooms/v1: [event_id, {sha256}] pairs.
      expectBadJson(withKey(legacy, 'prev_events', ['$x:format.test']), v1, 'prev_events');
      expectBadJson(withKey(legacy, 'prev_events', [['$x:format.test']]), v1, 'prev_events');
      expectBadJson(withKey(legacy, 'prev_events', [['$x:format.test', {}, 1]]), v1, 'prev_events');
      expectBadJson(withKey(legacy, 'auth_events', [['$x:format.test', { sha256: 5 }]]), v1, 'auth_events');
      expectBadJson(withKey(legacy, 'auth_events', [['$x', { sha256: 'h' }]]), v1, 'auth_events');
      expectBadJson(withKey(legacy, 'auth_events', [[hashId('A'), { sha256: 'h' }]]), v1, 'auth_events');
      // rooms/v3: base64 event IDs; rooms/v4: URL-safe.
      expectBadJson(withKey(message, 'prev_events', [['$x:format.test', { sha256: 'h' }]]), v3, 'prev_events');
      expectBadJson(withKey(message, 'prev_events', ['$x:format.test']), v3, 'prev_events');
      expectBadJson(withKey(message, 'prev_events', [hashId('-')]), v3, 'prev_events');
      expectBadJson(withKey(message, 'prev_events', [hashId('+')]), v10, 'prev_events');
      expectBadJson(withKey(message, 'auth_events', [5]), v10, 'auth_events');
      expect(checkPduFormat(withKey(message, 'prev_events', [hashId('+')]), v3).prev_events).to.deep.equal([hashId('+')]);
      expect(checkPduFormat(withKey(message, 'prev_events', [hashId('-')]), v10).prev_events).to.deep.equal([hashId('-')]);
    });

    it('with more than 20 prev_events or 10 auth_events (pdu_v1 … pdu_v12)', () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `$${String(i).padStart(43, 'A')}`);
      expect(checkPduFormat(withKey(message, 'prev_events', ids(20)), v10).prev_events).to.have.length(20);
      expectBadJson(withKey(message, 'prev_events', ids(21)), v10, 'at most 20');
      expect(checkPduFormat(withKey(message, 'auth_events', ids(10)), v10).auth_events).to.have.length(10);
      expectBadJson(withKey(message, 'auth_events', ids(11)), v10, 'at most 10');
    });
  });

  describe('strict canonical JSON from room version 6 (rooms/v6 "Canonical JSON")', () => {
    const values: Array<[string, unknown]> = [['a float', 1.5], ['2^53', 2 ** 53], ['-(2^53)', -(2 ** 53)], ['a float deep inside', { a: [{ b: 0.1 }] }]];
    for (const [what, value] of values) {
      it(`rejects ${what} in content from v6, accepts it before`, () => {
        const pdu = withKey(message, 'content', { value });
        expectBadJson(pdu, v6, 'content');
        expect(checkPduFormat(pdu, v5)).to.equal(pdu);
      });
    }

    it('accepts the integers ±(2^53 − 1)', () => {
      const pdu = withKey(message, 'content', { max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER });
      expect(checkPduFormat(pdu, v6)).to.equal(pdu);
    });

    it('applies to unsigned and the top level too', () => {
      expectBadJson(withKey(message, 'unsigned', { age: 0.5 }), v6, 'unsigned');
      expectBadJson(withKey(message, 'origin_server_ts', 2 ** 53), v6, 'origin_server_ts');
    });
  });

  describe('rejects (M_TOO_LARGE) events over the size limits (client-server-api "Size limits")', () => {
    const sizedMessage = (bytes: number): JsonObject => {
      const overhead = canonicalPduBytes(withKey(message, 'content', { body: '' }), v10);
      return withKey(message, 'content', { body: 'x'.repeat(bytes - overhead) });
    };

    it('over 65,536 bytes of canonical JSON, signatures included', () => {
      expect(canonicalPduBytes(sizedMessage(maxPduBytes), v10)).to.equal(maxPduBytes);
      expect(checkPduFormat(sizedMessage(maxPduBytes), v10)).to.be.an('object');
      expect(rejection(sizedMessage(maxPduBytes + 1)).errcode).to.equal('M_TOO_LARGE');
      const atLimit = sizedMessage(maxPduBytes);
      const moreSignatures = { ...atLimit, signatures: { ...(atLimit.signatures as JsonObject), 'x.test': {} } };
      expect(rejection(moreSignatures).errcode).to.equal('M_TOO_LARGE');
    });

    it('measures bytes, not characters, and measures events canonical JSON cannot encode before v6', () => {
      const overhead = canonicalPduBytes(withKey(message, 'content', { body: '' }), v10);
      const wide = withKey(message, 'content', { body: '€'.repeat(Math.ceil((maxPduBytes - overhead) / 3) + 1) });
      expect(rejection(wide).errcode).to.equal('M_TOO_LARGE');
      const floaty = withKey(message, 'content', { body: 'x'.repeat(maxPduBytes), n: 0.5 });
      expect(rejection(floaty, v5).errcode).to.equal('M_TOO_LARGE');
    });

    it('type, state_key, sender, room_id and event_id over 255 bytes', () => {
      const long = (n: number) => 'x'.repeat(n);
      const domain = ':format.test';
      expect(checkPduFormat({ ...message, type: long(255), state_key: long(255) }, v10)).to.be.an('object');
      expect(rejection(withKey(message, 'type', long(256))).errcode).to.equal('M_TOO_LARGE');
      expect(rejection(withKey(message, 'state_key', 'é'.repeat(128))).errcode).to.equal('M_TOO_LARGE');
      expect(checkPduFormat(withKey(message, 'sender', `@${long(255 - 1 - domain.length)}${domain}`), v10)).to.be.an('object');
      expect(rejection(withKey(message, 'sender', `@${long(256 - 1 - domain.length)}${domain}`)).errcode).to.equal('M_TOO_LARGE');
      expect(rejection(withKey(message, 'room_id', `!${long(256 - 1 - domain.length)}${domain}`)).errcode).to.equal('M_TOO_LARGE');
      expect(rejection(withKey(legacy, 'event_id', `$${long(256 - 1 - domain.length)}${domain}`), v1).errcode).to.equal('M_TOO_LARGE');
    });
  });
});
