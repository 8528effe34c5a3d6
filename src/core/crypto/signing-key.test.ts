import { expect } from 'chai';
import { decodeBase64, encodeBase64 } from '../base64.ts';
import {
  encodePublicKey,
  formatSigningKeyFile,
  generateSigningKey,
  parseSigningKeyFile,
  signDetached,
  signingKeyFromSeed,
  verifyDetached,
} from './signing-key.ts';
import { initCrypto } from './sodium.ts';

// appendices "Signing Test Vectors". Its last character carries non-zero unused bits, so the seed
// re-encodes ending in "XA0": decoders must ignore those bits to read the vector at all.
const vectorSeed = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';

describe('signing keys', () => {
  before(initCrypto);

  it('derives a key from a seed with the key ID ed25519:<version>', () => {
    const key = signingKeyFromSeed('1', decodeBase64(vectorSeed));
    expect(key).to.include({ algorithm: 'ed25519', version: '1', keyId: 'ed25519:1' });
    expect(key.publicKey).to.have.length(32);
    expect(key.secretKey).to.have.length(64);
    expect(encodePublicKey(key)).to.match(/^[A-Za-z0-9+/]{43}$/);
  });

  it('rejects a seed of the wrong size and a version outside [a-zA-Z0-9_]', () => {
    expect(() => signingKeyFromSeed('1', new Uint8Array(31))).to.throw('32 bytes');
    expect(() => signingKeyFromSeed('a:b', new Uint8Array(32))).to.throw('[a-zA-Z0-9_]');
    expect(() => signingKeyFromSeed('', new Uint8Array(32))).to.throw('[a-zA-Z0-9_]');
  });

  it('generates keys named a_ + 4 alphanumerics, from the random source given', () => {
    const key = generateSigningKey();
    expect(key.version).to.match(/^a_[A-Za-z0-9]{4}$/);
    expect(key.keyId).to.equal(`ed25519:${key.version}`);
    expect(generateSigningKey().seed).to.not.deep.equal(key.seed);

    // 248..255 would bias the alphabet, so they are drawn again.
    const draws = [Uint8Array.from([0, 61, 255, 248]), Uint8Array.from([62, 1, 2, 3]), new Uint8Array(32).fill(7)];
    const fixed = generateSigningKey((length) => draws.shift()!.subarray(0, length));
    expect(fixed.version).to.equal('a_A9AB');
    expect(fixed.seed).to.deep.equal(new Uint8Array(32).fill(7));
  });

  it('signs and verifies detached signatures', () => {
    const key = signingKeyFromSeed('1', decodeBase64(vectorSeed));
    const message = new TextEncoder().encode('hello');
    const signature = signDetached(message, key);
    expect(verifyDetached(signature, message, key.publicKey)).to.equal(true);
    expect(verifyDetached(signature, new TextEncoder().encode('hellO'), key.publicKey)).to.equal(false);
    expect(verifyDetached(signature.subarray(1), message, key.publicKey)).to.equal(false);
    expect(verifyDetached(signature, message, generateSigningKey().publicKey)).to.equal(false);
  });

  describe('Synapse signing key file', () => {
    it('round-trips through format and parse', () => {
      const keys = [generateSigningKey(), signingKeyFromSeed('old_1', decodeBase64(vectorSeed))];
      const text = formatSigningKeyFile(keys);
      expect(text).to.equal(`ed25519 ${keys[0]!.version} ${encodeBase64(keys[0]!.seed)}\ned25519 old_1 ${encodeBase64(decodeBase64(vectorSeed))}\n`);
      const parsed = parseSigningKeyFile(text);
      expect(parsed).to.deep.equal(keys);
    });

    it('ignores blank lines and CRLF line ends', () => {
      const parsed = parseSigningKeyFile(`\r\n  \ned25519 a_AbCd ${vectorSeed}\r\n\n`);
      expect(parsed.map((key) => key.keyId)).to.deep.equal(['ed25519:a_AbCd']);
    });

    it('names the line of a bad entry', () => {
      const good = `ed25519 a_AbCd ${vectorSeed}`;
      expect(() => parseSigningKeyFile(`${good}\n\ned25519 a_x\n`)).to.throw('line 3');
      expect(() => parseSigningKeyFile(`curve25519 a_x ${vectorSeed}`)).to.throw(/line 1: unsupported algorithm/);
      expect(() => parseSigningKeyFile(`ed25519 a_x not*base64`)).to.throw(/line 1: Invalid base64/);
      expect(() => parseSigningKeyFile(`ed25519 a_x Zm9v`)).to.throw(/line 1: .*32 bytes/);
    });
  });
});

