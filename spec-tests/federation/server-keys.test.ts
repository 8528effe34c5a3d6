import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifyJsonSignature } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, parseSigningKeyFile } from '../../src/core/crypto/signing-key.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { startTestHomeserver, useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

function keyFileOf(server: TestHomeserver) {
  return parseSigningKeyFile(readFileSync(join(server.dir, 'signing.key'), 'utf8'))[0]!;
}

function verifies(document: Record<string, any>, serverName: string): boolean {
  const [keyId, entry] = Object.entries(document.verify_keys as Record<string, { key: string }>)[0]!;
  return verifyJsonSignature(document, serverName, keyId, entry.key);
}

describe('server-server-api "Publishing Keys": GET /_matrix/key/v2/server', function () {
  for (const engine of testEngines) {
    describe(`on ${engine}`, function () {
      const server = useTestHomeserver({ serverName: 'keys.test', engine, config: { key_refresh_interval: '2h' } });

      it('publishes the key of the signing key file, self-signed, valid for key_refresh_interval', async function () {
        const before = Date.now();
        const response = await rawRequest(server().baseUrl, '/_matrix/key/v2/server');
        expect(response.status).to.equal(200);
        const key = keyFileOf(server());
        expect(response.json.server_name).to.equal('keys.test');
        expect(response.json.verify_keys).to.deep.equal({ [key.keyId]: { key: encodePublicKey(key) } });
        expect(response.json.old_verify_keys).to.deep.equal({});
        expect(key.keyId).to.match(/^ed25519:a_[A-Za-z0-9]{4}$/);
        expect(response.json.valid_until_ts).to.be.within(before + 2 * 3600_000 - 60_000, Date.now() + 2 * 3600_000);
        expect(Object.keys(response.json.signatures)).to.deep.equal(['keys.test']);
        expect(verifies(response.json, 'keys.test')).to.equal(true);
      });

      it('has a signature that fails to verify once the document is altered', async function () {
        const response = await rawRequest(server().baseUrl, '/_matrix/key/v2/server');
        expect(verifies({ ...response.json, valid_until_ts: response.json.valid_until_ts + 1 }, 'keys.test')).to.equal(false);
      });

      it('keeps publishing a replaced key in old_verify_keys after a restart with a new key', async function () {
        const oldKey = keyFileOf(server());
        await server().stop({ keepData: true });
        rmSync(join(server().dir, 'signing.key'));
        const restarted = await startTestHomeserver({ reuse: server() });
        try {
          const newKey = keyFileOf(restarted);
          expect(newKey.keyId).not.to.equal(oldKey.keyId);
          const response = await rawRequest(restarted.baseUrl, '/_matrix/key/v2/server');
          expect(response.json.verify_keys).to.deep.equal({ [newKey.keyId]: { key: encodePublicKey(newKey) } });
          expect(response.json.old_verify_keys[oldKey.keyId].key).to.equal(encodePublicKey(oldKey));
          expect(response.json.old_verify_keys[oldKey.keyId].expired_ts).to.be.within(Date.now() - 60_000, Date.now());
          expect(verifies(response.json, 'keys.test')).to.equal(true);
        } finally {
          await restarted.stop();
        }
      });
    });
  }

  describe('with old_signing_keys configured and a keys-only listener', function () {
    const server = useTestHomeserver({
      serverName: 'notary.test',
      config: {
        old_signing_keys: { 'ed25519:retired': { key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ', expired_ts: 1_600_000_000_000 } },
        listeners: [{ port: 0, bind_addresses: ['127.0.0.1'], resources: [{ names: ['keys'] }] }],
      },
    });

    it('lists the configured old keys', async function () {
      const response = await rawRequest(server().baseUrl, '/_matrix/key/v2/server');
      expect(response.json.old_verify_keys).to.deep.equal({ 'ed25519:retired': { key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ', expired_ts: 1_600_000_000_000 } });
    });

    it('serves only the key API on a keys listener', async function () {
      expect((await rawRequest(server().baseUrl, '/_matrix/federation/v1/version')).status).to.equal(404);
      expect((await rawRequest(server().baseUrl, '/_matrix/client/versions')).status).to.equal(404);
    });
  });
});
