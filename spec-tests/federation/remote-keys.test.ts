import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, generateSigningKey, signingKeyFromSeed, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { createKeyLookup, type KeyLookupFixture } from '../harness/remote-keys.ts';
import { rawRequest } from '../harness/requests.ts';
import { ScriptedServer } from '../harness/scripted-server.ts';

const hour = 3600_000;
const day = 24 * hour;
const retiredKey = { key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ', expired_ts: 1_600_000_000_000 };

describe('server-server-api "Retrieving server keys": looking up other servers\' keys', function () {
  // One clock for the test servers and the lookups, so key validity can be crossed without waiting.
  let now = Date.now();
  const clock = () => now;
  const origin = useTestHomeserver({ serverName: 'origin.test', clock, config: { key_refresh_interval: '1h', old_signing_keys: { 'ed25519:retired': retiredKey }, trusted_key_servers: [] } });
  const longLived = useTestHomeserver({ serverName: 'longlived.test', clock, config: { key_refresh_interval: '30d', trusted_key_servers: [] } });
  let scripted: ScriptedServer;
  let fixture: KeyLookupFixture;

  before(async function () {
    scripted = await ScriptedServer.start();
  });
  after(() => scripted.stop());
  beforeEach(async function () {
    const directory = new Map([
      ['origin.test', origin().baseUrl],
      ['longlived.test', longLived().baseUrl],
      ['evil.test', scripted.baseUrl],
    ]);
    fixture = await createKeyLookup({ clock, directory });
  });
  afterEach(() => fixture.close());

  const originKey = () => origin().homeserver.serverKeys.signingKey;

  describe('from the server itself (GET /_matrix/key/v2/server)', function () {
    it('fetches the key unsigned, checks it and stores the response', async function () {
      const { keyId } = originKey();
      expect(await fixture.service.verifyKey('origin.test', keyId)).to.equal(encodePublicKey(originKey()));
      expect(fixture.requester.requests).to.deep.equal([{ method: 'GET', destination: 'origin.test', path: '/_matrix/key/v2/server', signed: false, timeoutMs: 10_000 }]);
      const rows = await fixture.storage.remoteServerKeys.listForServer('origin.test');
      expect(rows.map((r) => [r.keyId, r.expiredTs])).to.deep.equal([
        [keyId, null],
        ['ed25519:retired', retiredKey.expired_ts],
      ]);
      const stored = JSON.parse(rows[0]!.keyJson);
      expect(stored.server_name).to.equal('origin.test');
      expect(Object.keys(stored.signatures)).to.deep.equal(['origin.test']);
    });

    it('answers later lookups from memory until valid_until_ts, then fetches again', async function () {
      const { keyId } = originKey();
      const document = (await rawRequest(origin().baseUrl, '/_matrix/key/v2/server')).json;
      expect(await fixture.service.verifyKey('origin.test', keyId)).to.be.a('string');
      now = document.valid_until_ts - 1000;
      expect(await fixture.service.verifyKey('origin.test', keyId)).to.equal(encodePublicKey(originKey()));
      expect(fixture.requester.requests).to.have.length(1);
      now = document.valid_until_ts + 1;
      expect(await fixture.service.verifyKey('origin.test', keyId)).to.equal(encodePublicKey(originKey()));
      expect(fixture.requester.sentTo('origin.test')).to.deep.equal(['GET /_matrix/key/v2/server', 'GET /_matrix/key/v2/server']);
    });

    it('answers from the database after a restart, without asking', async function () {
      const { keyId } = originKey();
      await fixture.service.verifyKey('origin.test', keyId);
      expect(await fixture.restart().verifyKey('origin.test', keyId)).to.equal(encodePublicKey(originKey()));
      expect(fixture.requester.requests).to.have.length(1);
    });

    it('rooms v5 "Signing key validity period": a key is valid up to valid_until_ts, not after', async function () {
      const { keyId } = originKey();
      await fixture.service.verifyKey('origin.test', keyId);
      const [row] = await fixture.storage.remoteServerKeys.listForServer('origin.test');
      expect(await fixture.service.verifyKey('origin.test', keyId, { validAt: row!.validUntilTs })).to.be.a('string');
      expect(await fixture.service.verifyKey('origin.test', keyId, { validAt: row!.validUntilTs + 1 })).to.equal(undefined);
    });

    it('keys.yaml: uses the lesser of valid_until_ts and 7 days after fetching', async function () {
      const { keyId } = longLived().homeserver.serverKeys.signingKey;
      expect(await fixture.service.verifyKey('longlived.test', keyId, { validAt: now + 6 * day })).to.be.a('string');
      expect(await fixture.service.verifyKey('longlived.test', keyId, { validAt: now + 8 * day })).to.equal(undefined);
    });

    it('accepts an old_verify_keys key for times before its expired_ts only, and does not ask again for an expired one', async function () {
      expect(await fixture.service.verifyKey('origin.test', 'ed25519:retired', { validAt: retiredKey.expired_ts - 1 })).to.equal(retiredKey.key);
      expect(await fixture.service.verifyKey('origin.test', 'ed25519:retired', { validAt: retiredKey.expired_ts + 1 })).to.equal(undefined);
      expect(await fixture.service.verifyKey('origin.test', 'ed25519:retired')).to.equal(undefined);
      expect(fixture.requester.requests).to.have.length(1);
    });

    it('shares one fetch between concurrent lookups of a server', async function () {
      const { keyId } = originKey();
      const keys = await Promise.all([1, 2, 3, 4, 5].map(() => fixture.service.verifyKey('origin.test', keyId)));
      expect(keys).to.deep.equal(Array(5).fill(encodePublicKey(originKey())));
      expect(fixture.requester.requests).to.have.length(1);
    });

    it('answers its own keys from its own key document, without any request', async function () {
      const own = fixture.serverKeys.signingKey;
      expect(await fixture.service.verifyKey(fixture.serverName, own.keyId)).to.equal(encodePublicKey(own));
      expect(await fixture.service.verifyKey(fixture.serverName, 'ed25519:other')).to.equal(undefined);
      expect(fixture.requester.requests).to.deep.equal([]);
    });

    it('remembers a failure for a minute instead of asking a dead server again', async function () {
      expect(await fixture.service.verifyKey('dead.test', 'ed25519:abc')).to.equal(undefined);
      expect(await fixture.service.verifyKey('dead.test', 'ed25519:abc')).to.equal(undefined);
      expect(fixture.requester.sentTo('dead.test')).to.have.length(1);
      now += 61_000;
      expect(await fixture.service.verifyKey('dead.test', 'ed25519:abc')).to.equal(undefined);
      expect(fixture.requester.sentTo('dead.test')).to.have.length(2);
    });

    it('asks a server once a minute at most about key IDs it does not publish', async function () {
      expect(await fixture.service.verifyKey('origin.test', 'ed25519:madeup1')).to.equal(undefined);
      expect(await fixture.service.verifyKey('origin.test', 'ed25519:madeup2')).to.equal(undefined);
      expect(fixture.requester.requests).to.have.length(1);
    });

    it('never sends a request for a name that is not a server name', async function () {
      expect(await fixture.service.verifyKey('evil.test/_matrix/x?', 'ed25519:abc')).to.equal(undefined);
      expect(await fixture.service.verifyKey('', 'ed25519:abc')).to.equal(undefined);
      expect(fixture.requester.requests).to.deep.equal([]);
    });
  });

  describe('refusing key responses that do not prove themselves', function () {
    let evilKey: SigningKey;
    before(function () {
      evilKey = generateSigningKey();
    });
    const document = (overrides: Record<string, unknown> = {}) => ({
      server_name: 'evil.test',
      valid_until_ts: now + hour,
      verify_keys: { [evilKey.keyId]: { key: encodePublicKey(evilKey) } },
      old_verify_keys: {},
      ...overrides,
    });
    const serve = (json: unknown) => scripted.answers.set('/_matrix/key/v2/server', { json });

    async function expectRefused(): Promise<void> {
      expect(await fixture.service.verifyKey('evil.test', evilKey.keyId)).to.equal(undefined);
      expect(await fixture.storage.remoteServerKeys.listForServer('evil.test')).to.deep.equal([]);
    }

    it('accepts a well-formed self-signed response (the scripted server itself is fine)', async function () {
      serve(signJson(document(), 'evil.test', evilKey));
      expect(await fixture.service.verifyKey('evil.test', evilKey.keyId)).to.equal(encodePublicKey(evilKey));
    });

    it('refuses a response without signatures', async function () {
      serve(document());
      await expectRefused();
    });

    it('refuses a response signed in the name of another server', async function () {
      serve(signJson(document(), 'other.test', evilKey));
      await expectRefused();
    });

    it('refuses a response signed by a different key under the listed key ID', async function () {
      const impostor = signingKeyFromSeed(evilKey.version, randomBytes(32));
      serve(signJson(document(), 'evil.test', impostor));
      await expectRefused();
    });

    it('refuses a response one of whose verify_keys did not sign it', async function () {
      const unsigned = generateSigningKey();
      const verifyKeys = { [evilKey.keyId]: { key: encodePublicKey(evilKey) }, [unsigned.keyId]: { key: encodePublicKey(unsigned) } };
      serve(signJson(document({ verify_keys: verifyKeys }), 'evil.test', evilKey));
      await expectRefused();
    });

    it('refuses a response naming another server than the one asked', async function () {
      serve(signJson(document({ server_name: 'other.test' }), 'other.test', evilKey));
      await expectRefused();
    });

    it('refuses a response without valid_until_ts', async function () {
      const { valid_until_ts: _omitted, ...withoutValidity } = document();
      serve(signJson(withoutValidity, 'evil.test', evilKey));
      await expectRefused();
    });

    it('does not accept a key whose response expired (valid_until_ts in the past) for the present', async function () {
      serve(signJson(document({ valid_until_ts: now - 1000 }), 'evil.test', evilKey));
      expect(await fixture.service.verifyKey('evil.test', evilKey.keyId)).to.equal(undefined);
      // It still proves the key for what was signed before then (an event's origin_server_ts).
      expect(await fixture.service.verifyKey('evil.test', evilKey.keyId, { validAt: now - 2000 })).to.equal(encodePublicKey(evilKey));
    });

    it('refuses an error answer or a body that is not a key response', async function () {
      scripted.answers.set('/_matrix/key/v2/server', { status: 500, json: { errcode: 'M_UNKNOWN' } });
      await expectRefused();
      now += 61_000;
      serve(['not', 'an', 'object']);
      await expectRefused();
    });
  });

  describe('verifySignedJsonFrom', function () {
    it('checks a signature of the server by one of its keys', async function () {
      const signed = signJson({ hello: 'world' }, 'origin.test', originKey());
      expect(await fixture.service.verifySignedJsonFrom('origin.test', signed)).to.equal(true);
      expect(await fixture.service.verifySignedJsonFrom('origin.test', { ...signed, hello: 'there' })).to.equal(false);
      const impostor = signingKeyFromSeed(originKey().version, randomBytes(32));
      expect(await fixture.service.verifySignedJsonFrom('origin.test', signJson({ hello: 'world' }, 'origin.test', impostor))).to.equal(false);
      expect(await fixture.service.verifySignedJsonFrom('longlived.test', signed)).to.equal(false);
      expect(await fixture.service.verifySignedJsonFrom('origin.test', { hello: 'world' })).to.equal(false);
    });

    it('checks the key was valid at validAt', async function () {
      const signed = signJson({ hello: 'world' }, 'origin.test', originKey());
      expect(await fixture.service.verifySignedJsonFrom('origin.test', signed, { validAt: now + 30 * day })).to.equal(false);
    });
  });
});
