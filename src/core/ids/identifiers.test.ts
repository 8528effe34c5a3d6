import { expect } from 'chai';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import {
  isEventId,
  isEventIdInVersion,
  isRoomAlias,
  isRoomId,
  isRoomIdInVersion,
  isUserId,
  localpartOf,
  parseEventId,
  parseRoomAlias,
  parseRoomId,
  parseUserId,
  serverNameOf,
  utf8Length,
  type EventId,
  type RoomAlias,
  type RoomId,
  type UserId,
} from './identifiers.ts';

/** An identifier of exactly `bytes` UTF-8 bytes: sigil, padded localpart, `:example.org`. */
function sized(sigil: string, bytes: number, filler = 'a'): string {
  const domain = ':example.org';
  return `${sigil}${filler.repeat(bytes - 1 - domain.length)}${domain}`;
}

const v1 = getRoomVersion('1');
const v3 = getRoomVersion('3');
const v4 = getRoomVersion('4');
const v11 = getRoomVersion('11');
const v12 = getRoomVersion('12');
// 43-character reference hashes: one in each alphabet, one valid in both.
const standardHash = 'CD66H+ED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW/o';
const urlSafeHash = 'Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';
const neutralHash = 'CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o';

describe('identifiers (appendices "Common Identifier Format")', () => {
  describe('user IDs (appendices "User Identifiers")', () => {
    it('accepts compliant localparts: a-z 0-9 . _ = - / +', () => {
      for (const id of ['@alice:example.org', '@a:b', '@0.9_=-/+z:matrix.org:8448', '@bob:[::1]', '@carol:127.0.0.1:8008']) {
        expect(isUserId(id), id).to.equal(true);
        expect(isUserId(id, { historical: true }), `${id} historical`).to.equal(true);
      }
    });

    it('accepts historical localparts only with {historical: true}', () => {
      // appendices "Historical User IDs": any non-surrogate code point except ":" and NUL, even empty.
      for (const id of ['@Alice:example.org', '@:example.org', '@with space:example.org', '@ünïcödé:example.org', '@😀:example.org', '@a\u0001b:example.org', '@a#b!c$:example.org', '@a*:example.org']) {
        expect(isUserId(id), id).to.equal(false);
        expect(isUserId(id, { historical: true }), `${id} historical`).to.equal(true);
      }
    });

    it('rejects NUL, lone surrogates, a missing sigil, colon or domain, and invalid domains even when historical', () => {
      for (const id of ['@a\0b:example.org', '@a\ud800:example.org', '@a\udc00b:example.org', 'alice:example.org', '#alice:example.org', '@alice', '@alice:', '@alice:exa mple.org', '@alice:example.org:0', '']) {
        expect(isUserId(id, { historical: true }), JSON.stringify(id)).to.equal(false);
      }
    });

    it('splits at the first colon, so a port stays in the domain', () => {
      const id = parseUserId('@alice:example.org:8448');
      expect(localpartOf(id)).to.equal('alice');
      expect(serverNameOf(id)).to.equal('example.org:8448');
    });

    it('limits the whole ID to 255 bytes of UTF-8, not characters', () => {
      expect(isUserId(sized('@', 255))).to.equal(true);
      expect(isUserId(sized('@', 256))).to.equal(false);
      // 'é' is 2 bytes: 121 of them + '@' + ':example.org' = 255 bytes in 134 characters.
      expect(isUserId(`@${'é'.repeat(121)}:example.org`, { historical: true })).to.equal(true);
      expect(isUserId(`@${'é'.repeat(121)}a:example.org`, { historical: true })).to.equal(false);
      expect(isUserId(`@${'😀'.repeat(60)}:example.org`, { historical: true })).to.equal(true); // 1 + 240 + 12 = 253
      expect(isUserId(`@${'😀'.repeat(61)}:example.org`, { historical: true })).to.equal(false); // 257
    });

    it('parseUserId brands or throws M_INVALID_PARAM', () => {
      const id: UserId = parseUserId('@alice:example.org');
      expect(id).to.equal('@alice:example.org');
      expect(() => parseUserId('@Alice:example.org')).to.throw('Invalid user ID').with.property('errcode', 'M_INVALID_PARAM');
      expect(parseUserId('@Alice:example.org', { historical: true })).to.equal('@Alice:example.org');
    });
  });

  describe('room IDs (appendices "Room IDs")', () => {
    it('accepts !opaque:domain with any non-surrogate localpart but ":" and NUL', () => {
      for (const id of ['!abc:example.org', '!jEsUZKDJdhlrceRyVU:example.org', '!a b/c+d:[::1]:8448', '!ü:1.2.3.4']) expect(isRoomId(id), id).to.equal(true);
    });

    it('accepts the room version 12 form: "!" + a URL-safe reference hash', () => {
      expect(isRoomId('!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ')).to.equal(true);
      expect(isRoomId(`!${neutralHash}`)).to.equal(true);
      expect(isRoomId(`!${standardHash}`)).to.equal(false); // never standard base64
      expect(isRoomId(`!${urlSafeHash.slice(1)}`)).to.equal(false);
      expect(isRoomId(`!${urlSafeHash}A`)).to.equal(false);
    });

    it('rejects empty localparts, NUL, surrogates, bad domains and other sigils', () => {
      for (const id of ['!:example.org', '!a\0:example.org', '!a\ud800:example.org', '!abc', '!abc:', '!abc:bad_domain', '$abc:example.org', 'abc:example.org', '']) {
        expect(isRoomId(id), JSON.stringify(id)).to.equal(false);
      }
    });

    it('limits room IDs to 255 bytes', () => {
      expect(isRoomId(sized('!', 255))).to.equal(true);
      expect(isRoomId(sized('!', 256))).to.equal(false);
      expect(isRoomId(sized('!', 256 - 12, 'é').slice(0, -12) + ':example.org')).to.equal(false);
    });

    it('isRoomIdInVersion accepts only the form of the room version', () => {
      expect(isRoomIdInVersion('!abc:example.org', v1)).to.equal(true);
      expect(isRoomIdInVersion('!abc:example.org', v11)).to.equal(true);
      expect(isRoomIdInVersion('!abc:example.org', v12)).to.equal(false);
      expect(isRoomIdInVersion(`!${urlSafeHash}`, v11)).to.equal(false);
      expect(isRoomIdInVersion(`!${urlSafeHash}`, v12)).to.equal(true);
    });

    it('parseRoomId brands or throws M_INVALID_PARAM; serverNameOf is undefined for hash room IDs', () => {
      const id: RoomId = parseRoomId('!abc:example.org');
      expect(serverNameOf(id)).to.equal('example.org');
      expect(serverNameOf(parseRoomId(`!${urlSafeHash}`))).to.equal(undefined);
      expect(() => parseRoomId('!abc')).to.throw('Invalid room ID').with.property('errcode', 'M_INVALID_PARAM');
    });
  });

  describe('event IDs (appendices "Event IDs"; rooms/v1, v3, v4 "Event IDs")', () => {
    it('accepts $opaque:domain (versions 1–2)', () => {
      for (const id of ['$a4ecee13e2accdadf56c1025:example.com', '$179557275097ofCdu:localhost:18448', '$0:domain', '$a/b+c:[::1]']) {
        expect(isEventId(id), id).to.equal(true);
        expect(isEventIdInVersion(id, v1), id).to.equal(true);
        expect(isEventIdInVersion(id, v3), id).to.equal(false);
      }
    });

    it('accepts "$" + a 43-character reference hash in standard (v3) or URL-safe (v4+) base64', () => {
      expect(isEventId(`$${standardHash}`)).to.equal(true);
      expect(isEventId(`$${urlSafeHash}`)).to.equal(true);
      expect(isEventIdInVersion(`$${standardHash}`, v3)).to.equal(true);
      expect(isEventIdInVersion(`$${standardHash}`, v4)).to.equal(false);
      expect(isEventIdInVersion(`$${urlSafeHash}`, v3)).to.equal(false);
      expect(isEventIdInVersion(`$${urlSafeHash}`, v4)).to.equal(true);
      expect(isEventIdInVersion(`$${neutralHash}`, v3)).to.equal(true);
      expect(isEventIdInVersion(`$${neutralHash}`, v12)).to.equal(true);
      expect(isEventIdInVersion(`$${urlSafeHash}`, v1)).to.equal(false);
    });

    it('rejects hashes of the wrong length or alphabet, padding, and malformed domain forms', () => {
      for (const id of [`$${urlSafeHash.slice(1)}`, `$${urlSafeHash}A`, `$${urlSafeHash.slice(1)}=`, `$${urlSafeHash.slice(1)}.`, '$', '$:example.org', '$a\0:example.org', '$abc:', '$abc:no_underscores', `!${urlSafeHash}`, urlSafeHash]) {
        expect(isEventId(id), JSON.stringify(id)).to.equal(false);
      }
    });

    it('limits event IDs to 255 bytes', () => {
      expect(isEventId(sized('$', 255))).to.equal(true);
      expect(isEventId(sized('$', 256))).to.equal(false);
    });

    it('parseEventId brands or throws M_INVALID_PARAM', () => {
      const id: EventId = parseEventId(`$${urlSafeHash}`);
      expect(serverNameOf(id)).to.equal(undefined);
      expect(serverNameOf(parseEventId('$x:example.com:8448'))).to.equal('example.com:8448');
      expect(() => parseEventId('$short')).to.throw('Invalid event ID').with.property('errcode', 'M_INVALID_PARAM');
    });
  });

  describe('room aliases (appendices "Room Aliases")', () => {
    it('accepts any non-surrogate localpart but ":" and NUL, with a valid server name', () => {
      for (const alias of ['#room:example.org', '#Room Name!:example.org:8448', '#ü😀:[::1]', '#:example.org']) expect(isRoomAlias(alias), alias).to.equal(true);
    });

    it('rejects NUL, surrogates, other sigils, missing or invalid domains and more than 255 bytes', () => {
      for (const alias of ['#a\0:example.org', '#a\udfff:example.org', '!room:example.org', '#room', '#room:', '#room:exa mple', sized('#', 256)]) {
        expect(isRoomAlias(alias), JSON.stringify(alias)).to.equal(false);
      }
      expect(isRoomAlias(sized('#', 255))).to.equal(true);
    });

    it('parseRoomAlias brands or throws M_INVALID_PARAM', () => {
      const alias: RoomAlias = parseRoomAlias('#room:example.org');
      expect(localpartOf(alias)).to.equal('room');
      expect(serverNameOf(alias)).to.equal('example.org');
      expect(() => parseRoomAlias('room:example.org')).to.throw('Invalid room alias').with.property('errcode', 'M_INVALID_PARAM');
    });
  });

  it('utf8Length agrees with TextEncoder, lone surrogates counting as U+FFFD', () => {
    const encoder = new TextEncoder();
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b€é', '\ud800', '\udc00x', '\ud800\ud800', '\u07ff\u0800']) {
      expect(utf8Length(text), JSON.stringify(text)).to.equal(encoder.encode(text).length);
    }
  });
});
