import { expect } from 'chai';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64.ts';
import { MatrixError } from './errors.ts';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('base64', () => {
  // appendices "Unpadded Base64" examples.
  const examples: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];

  for (const [plain, encoded] of examples) {
    it(`UNPADDED_BASE64("${plain}") = "${encoded}", and back`, () => {
      expect(encodeBase64(ascii(plain))).to.equal(encoded);
      expect(decodeBase64(encoded)).to.deep.equal(ascii(plain));
    });
  }

  it('round-trips every byte value at every length remainder', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let length = 0; length <= all.length; length++) {
      const bytes = all.subarray(256 - length);
      expect(decodeBase64(encodeBase64(bytes))).to.deep.equal(bytes);
      expect(decodeBase64(encodeBase64Url(bytes))).to.deep.equal(bytes);
    }
  });

  it('encodes bytes 62 and 63 with the alphabet asked for', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).to.equal('+/+/');
    expect(encodeBase64Url(bytes)).to.equal('-_-_');
    expect(decodeBase64('-_-_')).to.deep.equal(bytes);
  });

  it('accepts padded input', () => {
    expect(decodeBase64('Zg==')).to.deep.equal(ascii('f'));
    expect(decodeBase64('Zm8=')).to.deep.equal(ascii('fo'));
    expect(decodeBase64('Zm9vYmFy')).to.deep.equal(ascii('foobar'));
  });

  it('ignores non-zero unused bits in the last character, as the appendix test vector seed needs', () => {
    expect(decodeBase64('Zh')).to.deep.equal(ascii('f'));
    expect(decodeBase64('Zm9=')).to.deep.equal(ascii('fo'));
  });

  it('rejects invalid input with M_INVALID_PARAM', () => {
    for (const bad of ['Z', 'Zm9vY', 'Zg=', 'Zg===', 'Zm9v=', '=', 'Zm 9v', 'Zm9v\n', 'Zm.v', 'Zé', 'Z=g=']) {
      expect(() => decodeBase64(bad), JSON.stringify(bad)).to.throw(MatrixError).with.property('errcode', 'M_INVALID_PARAM');
    }
  });
});
