import { expect } from 'chai';
import { decodeBase64 } from '../base64.ts';
import { signJson, verifyJsonSignature } from './sign-json.ts';
import { encodePublicKey, generateSigningKey, signingKeyFromSeed, type SigningKey } from './signing-key.ts';
import { initCrypto } from './sodium.ts';

describe('signJson / verifyJsonSignature', () => {
  // appendices "Signing Test Vectors": SERVER_NAME "domain", KEY_ID "ed25519:1".
  let key: SigningKey;
  let publicKey: string;
  before(async () => {
    await initCrypto();
    key = signingKeyFromSeed('1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
    publicKey = encodePublicKey(key);
  });

  it('reproduces the appendix "JSON Signing" vector for {}', () => {
    expect(signJson({}, 'domain', key)).to.deep.equal({
      signatures: { domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' } },
    });
  });

  it('reproduces the appendix "JSON Signing" vector for {"one":1,"two":"Two"}', () => {
    expect(signJson({ one: 1, two: 'Two' }, 'domain', key)).to.deep.equal({
      one: 1,
      signatures: { domain: { 'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw' } },
      two: 'Two',
    });
  });

  it('leaves unsigned out of the signature, restores it, and does not touch the input', () => {
    const input = { one: 1, two: 'Two', unsigned: { age_ts: 5 } };
    const signed = signJson(input, 'domain', key);
    expect(signed.unsigned).to.deep.equal({ age_ts: 5 });
    expect(signed.signatures.domain!['ed25519:1']).to.equal('KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw');
    expect(input).to.deep.equal({ one: 1, two: 'Two', unsigned: { age_ts: 5 } });
  });

  it('merges into existing signatures, keeping other servers and other keys', () => {
    const other = generateSigningKey();
    const existing = { one: 1, signatures: { 'other.example': { 'ed25519:x': 'sig' }, domain: { 'ed25519:old': 'oldsig' } } };
    const signed = signJson(signJson(existing, 'domain', key), 'other.example', other);
    expect(signed.signatures).to.have.keys('other.example', 'domain');
    expect(signed.signatures.domain).to.have.keys('ed25519:old', 'ed25519:1');
    expect(signed.signatures['other.example']).to.have.keys('ed25519:x', other.keyId);
    expect(existing.signatures.domain).to.deep.equal({ 'ed25519:old': 'oldsig' });
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', publicKey)).to.equal(true);
    expect(verifyJsonSignature(signed, 'other.example', other.keyId, encodePublicKey(other))).to.equal(true);
  });

  it('verifies its own signatures regardless of unsigned', () => {
    const signed = signJson({ one: 1, two: 'Two' }, 'domain', key);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', publicKey)).to.equal(true);
    expect(verifyJsonSignature({ ...signed, unsigned: { anything: true } }, 'domain', 'ed25519:1', publicKey)).to.equal(true);
  });

  it('fails on tampered values, wrong key, missing or malformed signatures', () => {
    const signed = signJson({ one: 1, two: 'Two' }, 'domain', key);
    const good = signed.signatures.domain!['ed25519:1']!;
    expect(verifyJsonSignature({ ...signed, one: 2 }, 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature({ ...signed, three: 3 }, 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', encodePublicKey(generateSigningKey()))).to.equal(false);
    expect(verifyJsonSignature(signed, 'elsewhere', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:2', publicKey)).to.equal(false);
    expect(verifyJsonSignature({ one: 1, two: 'Two' }, 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(withSignature(signed, 'not base64!'), 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(withSignature(signed, good.slice(0, -4)), 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(withSignature(signed, 42), 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature({ ...signed, signatures: 'x' }, 'domain', 'ed25519:1', publicKey)).to.equal(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', 'short')).to.equal(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', '***')).to.equal(false);
  });

  it('fails for algorithms other than ed25519', () => {
    const signed = signJson({ one: 1 }, 'domain', key);
    const moved = { ...signed, signatures: { domain: { 'curve25519:1': signed.signatures.domain!['ed25519:1']! } } };
    expect(verifyJsonSignature(moved, 'domain', 'curve25519:1', publicKey)).to.equal(false);
  });
});

function withSignature(value: object, signature: unknown): object {
  return { ...value, signatures: { domain: { 'ed25519:1': signature } } };
}
