import { expect } from 'chai';
import { decodeBase64 } from '../base64.ts';
import { encodePublicKey, signingKeyFromSeed, type SigningKey } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import { checkContentHash } from './hashes.ts';
import { hashAndSignEvent, verifyEventSignature } from './signatures.ts';

describe('event signing (appendices "Event Signing")', () => {
  // The vectors predate room versions and keep top-level `origin`, which rooms/v11 no longer protects.
  const v1 = getRoomVersion('1');
  let key: SigningKey;
  before(async () => {
    await initCrypto();
    key = signingKeyFromSeed('1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
  });

  it('reproduces the minimally-sized event vector', () => {
    const event = {
      room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000, signatures: {}, hashes: {},
      type: 'X', content: {}, prev_events: [], auth_events: [], depth: 3, unsigned: { age_ts: 1000000 },
    };
    expect(hashAndSignEvent(event, v1, 'domain', key)).to.deep.equal({
      auth_events: [],
      content: {},
      depth: 3,
      hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
      origin: 'domain',
      origin_server_ts: 1000000,
      prev_events: [],
      room_id: '!x:domain',
      sender: '@a:domain',
      signatures: { domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' } },
      type: 'X',
      unsigned: { age_ts: 1000000 },
    });
  });

  it('reproduces the redactable-content event vector', () => {
    const event = {
      content: { body: 'Here is the message content' }, event_id: '$0:domain', origin: 'domain', origin_server_ts: 1000000,
      type: 'm.room.message', room_id: '!r:domain', sender: '@u:domain', signatures: {}, unsigned: { age_ts: 1000000 },
    };
    const signed = hashAndSignEvent(event, v1, 'domain', key);
    expect(signed).to.deep.equal({
      content: { body: 'Here is the message content' },
      event_id: '$0:domain',
      hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: { domain: { 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' } },
      unsigned: { age_ts: 1000000 },
    });
    expect(checkContentHash(signed)).to.equal(true);
  });

  it('verifies over the redacted form: the signature survives redaction but not a change to a protected key', () => {
    const event = { type: 'm.room.message', room_id: '!r:domain', sender: '@u:domain', origin_server_ts: 1, content: { body: 'hi' } };
    const signed = hashAndSignEvent(event, v1, 'domain', key);
    const publicKey = encodePublicKey(key);
    expect(verifyEventSignature(signed, v1, 'domain', 'ed25519:1', publicKey)).to.equal(true);
    expect(verifyEventSignature({ ...signed, content: {} }, v1, 'domain', 'ed25519:1', publicKey)).to.equal(true);
    expect(verifyEventSignature({ ...signed, sender: '@v:domain' }, v1, 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(checkContentHash({ ...signed, content: { body: 'bye' } })).to.equal(false);
  });

  it('adds to signatures already on the event', () => {
    const event = { type: 'X', content: {}, signatures: { 'other.example': { 'ed25519:o': 'sig' } } };
    const signed = hashAndSignEvent(event, getRoomVersion('11'), 'domain', key);
    expect(signed.signatures).to.have.keys('other.example', 'domain');
  });
});
