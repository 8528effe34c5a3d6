import { expect } from 'chai';
import { encodeBase64, encodeBase64Url } from '../base64.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import { computeEventId } from './event-id.ts';
import { checkContentHash, computeContentHash, computeReferenceHash } from './hashes.ts';

// The appendix "Event Signing" minimal event; its content hash is given there.
const minimalEvent = {
  room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000, type: 'X',
  content: {}, prev_events: [], auth_events: [], depth: 3,
};

describe('event hashes and IDs', () => {
  before(initCrypto);
  it('computes the appendix content hash, ignoring unsigned, signatures and hashes', () => {
    const expected = '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos';
    expect(computeContentHash(minimalEvent)).to.equal(expected);
    expect(computeContentHash({ ...minimalEvent, unsigned: { age: 1 }, signatures: { a: {} }, hashes: { sha256: 'x' } })).to.equal(expected);
    expect(computeContentHash({ ...minimalEvent, depth: 4 })).to.not.equal(expected);
  });

  it('checks hashes.sha256 as decoded bytes', () => {
    const sha256 = '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos';
    expect(checkContentHash({ ...minimalEvent, hashes: { sha256 } })).to.equal(true);
    expect(checkContentHash({ ...minimalEvent, hashes: { sha256: `${sha256}=` } })).to.equal(true);
    expect(checkContentHash({ ...minimalEvent, content: { a: 1 }, hashes: { sha256 } })).to.equal(false);
    expect(checkContentHash({ ...minimalEvent, hashes: { sha256: 'not base64!' } })).to.equal(false);
    expect(checkContentHash({ ...minimalEvent, hashes: {} })).to.equal(false);
    expect(checkContentHash(minimalEvent)).to.equal(false);
  });

  it('computes the reference hash over the redacted event, without signatures and unsigned', () => {
    const v10 = getRoomVersion('10');
    const event = { ...minimalEvent, hashes: { sha256: 'h' } };
    const reference = computeReferenceHash(event, v10);
    expect(reference).to.have.length(32);
    // Redacted away or excluded: no effect.
    expect(computeReferenceHash({ ...event, content: { body: 'x' }, unsigned: { a: 1 }, signatures: { s: {} }, extra: 1 }, v10)).to.deep.equal(reference);
    // Protected: changes the hash, including `hashes`, which is how the reference hash covers the content.
    expect(computeReferenceHash({ ...event, hashes: { sha256: 'i' } }, v10)).to.not.deep.equal(reference);
    expect(computeReferenceHash({ ...event, depth: 4 }, v10)).to.not.deep.equal(reference);
    // rooms/v11 no longer protects `origin`.
    const v11 = getRoomVersion('11');
    expect(computeReferenceHash({ ...event, origin: 'elsewhere' }, v11)).to.deep.equal(computeReferenceHash(event, v11));
  });

  it('encodes event IDs per room version: server-generated, base64, URL-safe base64', () => {
    const event = { ...minimalEvent, event_id: '$abc:domain', hashes: { sha256: 'h' } };
    expect(computeEventId(event, getRoomVersion('1'))).to.equal('$abc:domain');
    expect(computeEventId(event, getRoomVersion('2'))).to.equal('$abc:domain');
    const reference = encodeBase64(computeReferenceHash(event, getRoomVersion('3')));
    expect(computeEventId(event, getRoomVersion('3'))).to.equal(`$${reference}`);
    const urlSafe = `$${reference.replaceAll('+', '-').replaceAll('/', '_')}`;
    for (const version of ['4', '10']) expect(computeEventId(event, getRoomVersion(version))).to.equal(urlSafe);
    // v12 redacts differently (no `origin`), so its hash differs, in the same URL-safe alphabet.
    const v12 = getRoomVersion('12');
    expect(computeEventId(event, v12)).to.equal(`$${encodeBase64Url(computeReferenceHash(event, v12))}`).and.not.equal(urlSafe);
  });

  it('refuses a v1/v2 event without an event_id', () => {
    expect(() => computeEventId(minimalEvent, getRoomVersion('1'))).to.throw('event_id').with.property('errcode', 'M_BAD_JSON');
  });
});
