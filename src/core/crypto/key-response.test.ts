import { expect } from 'chai';
import { checkKeyResponse, InvalidKeyResponse } from './key-response.ts';
import { signJson } from './sign-json.ts';
import { encodePublicKey, signingKeyFromSeed } from './signing-key.ts';
import { initCrypto } from './sodium.ts';

describe('checkKeyResponse (server-server-api "Publishing Keys")', function () {
  before(() => initCrypto());
  const key = () => signingKeyFromSeed('one', new Uint8Array(32).fill(1));
  const other = () => signingKeyFromSeed('two', new Uint8Array(32).fill(2));
  const response = (extra: Record<string, unknown> = {}) => ({
    server_name: 'a.test',
    valid_until_ts: 2000,
    verify_keys: { 'ed25519:one': { key: encodePublicKey(key()) } },
    old_verify_keys: { 'ed25519:old': { key: 'OLDKEY', expired_ts: 1000 } },
    ...extra,
  });

  it('returns current and old keys of a self-signed response, keeping only the server\'s signatures', function () {
    const signed = signJson(signJson(response(), 'a.test', key()), 'notary.test', other());
    const verified = checkKeyResponse(signed, 'a.test');
    expect(verified.validUntilTs).to.equal(2000);
    expect(verified.keys).to.deep.equal([
      { keyId: 'ed25519:one', key: encodePublicKey(key()), expiredTs: null },
      { keyId: 'ed25519:old', key: 'OLDKEY', expiredTs: 1000 },
    ]);
    expect(Object.keys(verified.document.signatures as object)).to.deep.equal(['a.test']);
  });

  it('ignores keys of unknown algorithms', function () {
    const signed = signJson(response({ verify_keys: { 'ed25519:one': { key: encodePublicKey(key()) }, 'curve9:x': { key: 'Zm9v' } } }), 'a.test', key());
    expect(checkKeyResponse(signed, 'a.test').keys.map((k) => k.keyId)).to.deep.equal(['ed25519:one', 'ed25519:old']);
  });

  it('refuses responses that do not prove themselves', function () {
    const cases: Array<[string, unknown]> = [
      ['not an object', []],
      ['unsigned', response()],
      ['signed by another key', signJson(response(), 'a.test', signingKeyFromSeed('one', new Uint8Array(32).fill(3)))],
      ['another server', signJson(response({ server_name: 'b.test' }), 'b.test', key())],
      ['no valid_until_ts', signJson(response({ valid_until_ts: undefined }), 'a.test', key())],
      ['valid_until_ts not a number', signJson(response({ valid_until_ts: 'soon' }), 'a.test', key())],
      ['no verify key', signJson(response({ verify_keys: {} }), 'a.test', key())],
      ['a verify key that did not sign', signJson(response({ verify_keys: { 'ed25519:one': { key: encodePublicKey(key()) }, 'ed25519:two': { key: encodePublicKey(other()) } } }), 'a.test', key())],
      ['old key without expired_ts', signJson(response({ old_verify_keys: { 'ed25519:old': { key: 'OLDKEY' } } }), 'a.test', key())],
    ];
    for (const [name, value] of cases) expect(() => checkKeyResponse(value, 'a.test'), name).to.throw(InvalidKeyResponse);
  });
});
