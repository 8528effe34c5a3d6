import { expect } from 'chai';
import { decodeBase64 } from '../base64.ts';
import { encodePublicKey, generateSigningKey, signingKeyFromSeed } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { parseXMatrixHeader, signRequest, verifyRequestSignature, type SignedRequest } from './x-matrix.ts';

/**
 * Requests Synapse signed under sytest, published with their key seed in gomatrixserverlib's
 * fclient/request_test.go: an independent implementation's bytes that ours must reproduce exactly
 * (ed25519 signatures are deterministic).
 */
const synapse = {
  seed: 'QJvXAPj0D9MUb1exkD8pIWmCvT1xajlsB8jRYz/G5HE',
  keyVersion: 'a_Obwu',
  origin: 'localhost:8800',
  destination: 'localhost:44033',
  get: {
    uri: '/_matrix/federation/v1/query/directory?room_alias=%23test%3Alocalhost%3A44033',
    sig: '7vt4vP/w8zYB3Zg77nuTPwie3TxEy2OHZQMsSa4nsXZzL4/qw+DguXbyMy3BF77XvSJmBt+Gw+fU6T4HId7fBg',
  },
  put: {
    uri: '/_matrix/federation/v1/send/1493385816575/',
    body:
      '{"edus":[{"content":{"device_id":"YHRUBZNPFS","keys":{"device_id":"YHRUBZNPFS","device_keys":{},"user_id":' +
      '"@ANON-22:localhost:8800"},"prev_id":[],"stream_id":30,"user_id":"@ANON-22:localhost:8800"},"edu_type":' +
      '"m.device_list_update"}],"origin":"localhost:8800","origin_server_ts":1493385822396,"pdu_failures":[],"pdus":[]}',
    sig: '+hmW6UjEXx7vMt2+MXO/EImSfdEYdBsZEOmpiz3evYktAgGNpGuNMBYXIA969WGubmceREKA/r1phasUFHBpDg',
  },
};

describe('X-Matrix request authentication (server-server-api "Request Authentication")', () => {
  before(initCrypto);

  const synapseKey = () => signingKeyFromSeed(synapse.keyVersion, decodeBase64(synapse.seed));
  const { origin, destination } = synapse;

  it("reproduces Synapse's signature of a GET with a query string", () => {
    const header = signRequest({ method: 'GET', uri: synapse.get.uri, origin, destination }, synapseKey());
    expect(header).to.equal(`X-Matrix origin="${origin}",destination="${destination}",key="ed25519:a_Obwu",sig="${synapse.get.sig}"`);
  });

  it("reproduces Synapse's signature of a PUT with a JSON body, and verifies it", () => {
    const request = { method: 'PUT', uri: synapse.put.uri, origin, destination, content: JSON.parse(synapse.put.body) };
    expect(parseXMatrixHeader(signRequest(request, synapseKey()))?.sig).to.equal(synapse.put.sig);
    expect(verifyRequestSignature(request, synapse.put.sig, encodePublicKey(synapseKey()))).to.equal(true);
  });

  describe('sign then verify', () => {
    const key = () => generateSigningKey();
    const request: SignedRequest = { method: 'PUT', uri: '/_matrix/federation/v1/send/1?a=b', origin: 'origin.test', destination: 'destination.test:8448', content: { pdus: [], edus: [{ n: 1 }] } };

    it('round-trips and names our key', () => {
      const signer = key();
      const credentials = parseXMatrixHeader(signRequest(request, signer))!;
      expect(credentials).to.deep.include({ origin: 'origin.test', destination: 'destination.test:8448', key: signer.keyId });
      expect(verifyRequestSignature(request, credentials.sig, encodePublicKey(signer))).to.equal(true);
    });

    it('fails when the uri, content, destination, method or origin differ, or under another key', () => {
      const signer = key();
      const { sig } = parseXMatrixHeader(signRequest(request, signer))!;
      const publicKey = encodePublicKey(signer);
      const tampered: SignedRequest[] = [
        { ...request, uri: '/_matrix/federation/v1/send/1?a=c' },
        { ...request, content: { pdus: [], edus: [{ n: 2 }] } },
        { ...request, content: undefined },
        { ...request, destination: 'elsewhere.test' },
        { ...request, method: 'POST' },
        { ...request, origin: 'evil.test' },
      ];
      for (const changed of tampered) expect(verifyRequestSignature(changed, sig, publicKey), JSON.stringify(changed)).to.equal(false);
      expect(verifyRequestSignature(request, sig, encodePublicKey(key()))).to.equal(false);
    });

    it('signs a request without a body without any content field', () => {
      const signer = key();
      const get = { method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'origin.test', destination: 'destination.test' };
      const { sig } = parseXMatrixHeader(signRequest(get, signer))!;
      expect(verifyRequestSignature(get, sig, encodePublicKey(signer))).to.equal(true);
      expect(verifyRequestSignature({ ...get, content: {} }, sig, encodePublicKey(signer))).to.equal(false);
    });

    it('returns false for malformed signatures and keys instead of throwing', () => {
      const publicKey = encodePublicKey(key());
      expect(verifyRequestSignature(request, 'not base64!', publicKey)).to.equal(false);
      expect(verifyRequestSignature(request, 'AAAA', publicKey)).to.equal(false);
      expect(verifyRequestSignature(request, synapse.get.sig, 'short')).to.equal(false);
    });

    it('refuses to sign for a server name that breaks the grammar', () => {
      expect(() => signRequest({ ...request, destination: 'bad"name' }, key())).to.throw('invalid server name');
    });
  });

  describe('parseXMatrixHeader', () => {
    const expected = { origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', key: 'ed25519:key1', sig: 'ABCDEF...' };

    it("parses the spec's example header", () => {
      const header = 'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."';
      expect(parseXMatrixHeader(header)).to.deep.equal(expected);
    });

    it('accepts any scheme case, unquoted tokens, colons unquoted, any order, names in any case', () => {
      const header = 'x-MATRIX Sig="ABCDEF...",KEY=ed25519:key1,destination=destination.hs.example.com,origin=origin.hs.example.com';
      expect(parseXMatrixHeader(header)).to.deep.equal(expected);
    });

    it('allows spaces and tabs around commas and "=", empty list elements and several spaces after the scheme', () => {
      const header = 'X-Matrix   origin=origin.hs.example.com\t, ,key = "ed25519:key1" ,\tsig="ABCDEF..." , destination\t="destination.hs.example.com"';
      expect(parseXMatrixHeader(header)).to.deep.equal(expected);
    });

    it('unescapes backslash pairs in quoted values and ignores unknown parameters', () => {
      const header = 'X-Matrix origin="origin.hs.\\example.com",key="ed25519:key1",sig="ABCDEF...",destination="destination.hs.example.com",extra="a \\"b\\", c"';
      expect(parseXMatrixHeader(header)).to.deep.equal(expected);
    });

    it('accepts a header without destination (older servers)', () => {
      expect(parseXMatrixHeader('X-Matrix origin=a.test,key="ed25519:1",sig="c2ln"')).to.deep.equal({ origin: 'a.test', key: 'ed25519:1', sig: 'c2ln' });
    });

    const malformed: Record<string, string> = {
      'another scheme': 'Bearer origin=a.test,key="ed25519:1",sig="s"',
      'no space after the scheme': 'X-Matrixorigin=a.test,key="ed25519:1",sig="s"',
      'missing origin': 'X-Matrix key="ed25519:1",sig="s"',
      'missing key': 'X-Matrix origin=a.test,sig="s"',
      'missing sig': 'X-Matrix origin=a.test,key="ed25519:1"',
      'empty sig': 'X-Matrix origin=a.test,key="ed25519:1",sig=""',
      'a key ID without a version': 'X-Matrix origin=a.test,key="ed25519",sig="s"',
      'a key ID with two colons': 'X-Matrix origin=a.test,key="ed25519:a:b",sig="s"',
      'an origin that is no server name': 'X-Matrix origin="a test",key="ed25519:1",sig="s"',
      'a destination that is no server name': 'X-Matrix origin=a.test,destination="b/c",key="ed25519:1",sig="s"',
      'an unterminated quote': 'X-Matrix origin="a.test,key="ed25519:1",sig="s"',
      'a value with a space unquoted': 'X-Matrix origin=a.test,key=ed25519:1 x,sig="s"',
      'a parameter without "="': 'X-Matrix origin,key="ed25519:1",sig="s"',
      'a repeated parameter': 'X-Matrix origin=a.test,origin=b.test,key="ed25519:1",sig="s"',
      'a slash unquoted': 'X-Matrix origin=a.test,key="ed25519:1",sig=a/b',
      'nothing after the scheme': 'X-Matrix ',
    };
    for (const [problem, header] of Object.entries(malformed)) {
      it(`rejects ${problem}`, () => expect(parseXMatrixHeader(header)).to.equal(undefined));
    }
  });
});
