import { expect } from 'chai';
import { verifyJsonSignature } from '../../src/core/crypto/sign-json.ts';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import { useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { createKeyLookup, type KeyLookupFixture } from '../harness/remote-keys.ts';
import { rawRequest } from '../harness/requests.ts';
import { ScriptedServer } from '../harness/scripted-server.ts';
import { TestFederationRequester } from '../harness/server-requests.ts';

const keyOf = (server: TestHomeserver) => server.homeserver.serverKeys.signingKey;
const signedBy = (document: any, server: TestHomeserver) => verifyJsonSignature(document, server.serverName, keyOf(server).keyId, encodePublicKey(keyOf(server)));

describe('server-server-api "Querying Keys Through Another Server"', function () {
  let now = Date.now();
  const clock = () => now;
  const notaryRequester = new TestFederationRequester();
  const origin = useTestHomeserver({ serverName: 'origin.test', clock, config: { key_refresh_interval: '1h', trusted_key_servers: [] } });
  const notary = useTestHomeserver({ serverName: 'notary.test', clock, federationRequester: notaryRequester, config: { trusted_key_servers: [] } });
  before(function () {
    notaryRequester.directory.set('origin.test', origin().baseUrl);
  });

  describe('this server as a notary: GET /_matrix/key/v2/query/{serverName} and POST /_matrix/key/v2/query', function () {
    it('fetches the server\'s keys and returns its response signed by the server and by us', async function () {
      const response = await rawRequest(notary().baseUrl, '/_matrix/key/v2/query/origin.test');
      expect(response.status).to.equal(200);
      expect(response.json.server_keys).to.have.length(1);
      const [document] = response.json.server_keys;
      expect(document.server_name).to.equal('origin.test');
      expect(document.verify_keys).to.deep.equal({ [keyOf(origin()).keyId]: { key: encodePublicKey(keyOf(origin())) } });
      expect(Object.keys(document.signatures).sort()).to.deep.equal(['notary.test', 'origin.test']);
      expect(signedBy(document, origin())).to.equal(true);
      expect(signedBy(document, notary())).to.equal(true);
      expect(notaryRequester.sentTo('origin.test')).to.deep.equal(['GET /_matrix/key/v2/server']);
    });

    it('answers again from what it stored, without asking the server', async function () {
      const response = await rawRequest(notary().baseUrl, '/_matrix/key/v2/query/origin.test');
      expect(response.json.server_keys).to.have.length(1);
      expect(signedBy(response.json.server_keys[0], notary())).to.equal(true);
      expect(notaryRequester.sentTo('origin.test')).to.have.length(1);
    });

    it('answers a batch, including its own keys, and leaves out servers it cannot reach', async function () {
      const response = await rawRequest(notary().baseUrl, '/_matrix/key/v2/query', { body: { server_keys: { 'origin.test': {}, 'notary.test': {}, 'unreachable.test': {} } } });
      expect(response.status).to.equal(200);
      const byServer = Object.fromEntries(response.json.server_keys.map((d: any) => [d.server_name, d]));
      expect(Object.keys(byServer).sort()).to.deep.equal(['notary.test', 'origin.test']);
      expect(byServer['notary.test'].verify_keys).to.deep.equal({ [keyOf(notary()).keyId]: { key: encodePublicKey(keyOf(notary())) } });
      expect(signedBy(byServer['notary.test'], notary())).to.equal(true);
      expect(signedBy(byServer['origin.test'], origin())).to.equal(true);
      expect(notaryRequester.sentTo('unreachable.test')).to.have.length(1);
    });

    it('fetches again when what it holds is not valid until minimum_valid_until_ts', async function () {
      const [held] = (await rawRequest(notary().baseUrl, '/_matrix/key/v2/query/origin.test')).json.server_keys;
      now += 2 * 60_000;
      const before = notaryRequester.sentTo('origin.test').length;
      const body = { server_keys: { 'origin.test': { [keyOf(origin()).keyId]: { minimum_valid_until_ts: held.valid_until_ts + 1 } } } };
      const response = await rawRequest(notary().baseUrl, '/_matrix/key/v2/query', { body });
      expect(response.json.server_keys).to.have.length(1);
      expect(notaryRequester.sentTo('origin.test')).to.have.length(before + 1);
      const viaGet = await rawRequest(notary().baseUrl, `/_matrix/key/v2/query/origin.test?minimum_valid_until_ts=${held.valid_until_ts + 1}`);
      expect(viaGet.json.server_keys).to.have.length(1);
    });

    it('keeps answering with the last response it holds when the server cannot be reached', async function () {
      now += 2 * 60_000;
      notaryRequester.directory.delete('origin.test');
      try {
        const before = notaryRequester.sentTo('origin.test').length;
        const response = await rawRequest(notary().baseUrl, `/_matrix/key/v2/query/origin.test?minimum_valid_until_ts=${now + 100 * 3600_000}`);
        expect(notaryRequester.sentTo('origin.test')).to.have.length(before + 1);
        expect(response.json.server_keys).to.have.length(1);
        expect(signedBy(response.json.server_keys[0], origin())).to.equal(true);
      } finally {
        notaryRequester.directory.set('origin.test', origin().baseUrl);
      }
    });

    it('answers an empty query with an empty list, and refuses a malformed one', async function () {
      expect((await rawRequest(notary().baseUrl, '/_matrix/key/v2/query', { body: { server_keys: {} } })).json).to.deep.equal({ server_keys: [] });
      const malformed = await rawRequest(notary().baseUrl, '/_matrix/key/v2/query', { body: { server_keys: { 'origin.test': 'all' } } });
      expect(malformed.status).to.equal(400);
      expect(malformed.json.errcode).to.equal('M_BAD_JSON');
      expect((await rawRequest(notary().baseUrl, '/_matrix/key/v2/query/not%20a%20server')).json).to.deep.equal({ server_keys: [] });
    });
  });

  describe('looking up keys through notaries (trusted_key_servers) when the server cannot be reached', function () {
    let scripted: ScriptedServer;
    let badNotaryKey: SigningKey;
    let fixture: KeyLookupFixture | undefined;
    before(async function () {
      scripted = await ScriptedServer.start();
      badNotaryKey = generateSigningKey();
    });
    after(() => scripted.stop());
    afterEach(() => fixture?.close());

    // origin.test is missing from the asker's directory: only notaries can tell its keys.
    const lookup = (trustedKeyServers: Array<{ server_name: string; verify_keys?: Record<string, string> }>) =>
      createKeyLookup({ clock, trustedKeyServers, directory: new Map([['notary.test', notary().baseUrl], ['badnotary.test', scripted.baseUrl]]) }).then((f) => (fixture = f));
    const pinnedNotary = () => ({ server_name: 'notary.test', verify_keys: { [keyOf(notary()).keyId]: encodePublicKey(keyOf(notary())) } });
    const pinnedBadNotary = () => ({ server_name: 'badnotary.test', verify_keys: { [badNotaryKey.keyId]: encodePublicKey(badNotaryKey) } });
    const originDocument = async () => (await rawRequest(origin().baseUrl, '/_matrix/key/v2/server')).json;
    const badNotaryAnswers = (serverKeys: unknown[]) => scripted.answers.set('/_matrix/key/v2/query', { json: { server_keys: serverKeys } });

    it('asks the notary with a signed POST /query and minimum_valid_until_ts, and checks its signature with keys fetched from it', async function () {
      const { service, requester, storage } = await lookup([{ server_name: 'notary.test' }]);
      const { keyId } = keyOf(origin());
      expect(await service.verifyKey('origin.test', keyId)).to.equal(encodePublicKey(keyOf(origin())));
      expect(requester.requests.map((r) => `${r.method} ${r.destination}${r.path}`)).to.deep.equal([
        'GET origin.test/_matrix/key/v2/server',
        'POST notary.test/_matrix/key/v2/query',
        'GET notary.test/_matrix/key/v2/server',
      ]);
      expect(requester.requests[1]).to.deep.include({ signed: true, body: { server_keys: { 'origin.test': { [keyId]: { minimum_valid_until_ts: now } } } } });
      const [row] = await storage.remoteServerKeys.listForServer('origin.test');
      expect(Object.keys(JSON.parse(row!.keyJson).signatures)).to.deep.equal(['origin.test']);
    });

    it('uses pinned notary keys without fetching them', async function () {
      const { service, requester } = await lookup([pinnedNotary()]);
      expect(await service.verifyKey('origin.test', keyOf(origin()).keyId)).to.equal(encodePublicKey(keyOf(origin())));
      expect(requester.sentTo('notary.test')).to.deep.equal(['POST /_matrix/key/v2/query']);
    });

    it('refuses a notary answer signed by a key other than the pinned one', async function () {
      const { service } = await lookup([{ server_name: 'notary.test', verify_keys: { [keyOf(notary()).keyId]: encodePublicKey(generateSigningKey()) } }]);
      expect(await service.verifyKey('origin.test', keyOf(origin()).keyId)).to.equal(undefined);
    });

    it('accepts a scripted notary\'s honest answer (the script itself is fine)', async function () {
      badNotaryAnswers([signJson(await originDocument(), 'badnotary.test', badNotaryKey)]);
      const { service } = await lookup([pinnedBadNotary()]);
      expect(await service.verifyKey('origin.test', keyOf(origin()).keyId)).to.equal(encodePublicKey(keyOf(origin())));
    });

    it('refuses a notary answer missing the notary\'s signature', async function () {
      badNotaryAnswers([await originDocument()]);
      const { service, storage } = await lookup([pinnedBadNotary()]);
      expect(await service.verifyKey('origin.test', keyOf(origin()).keyId)).to.equal(undefined);
      expect(await storage.remoteServerKeys.listForServer('origin.test')).to.deep.equal([]);
    });

    it('refuses keys the notary signed but the server did not', async function () {
      const forged = generateSigningKey();
      const document = { server_name: 'origin.test', valid_until_ts: now + 3600_000, verify_keys: { [forged.keyId]: { key: encodePublicKey(forged) } }, old_verify_keys: {} };
      badNotaryAnswers([signJson(document, 'badnotary.test', badNotaryKey)]);
      const { service } = await lookup([pinnedBadNotary()]);
      expect(await service.verifyKey('origin.test', forged.keyId)).to.equal(undefined);
    });

    it('ignores answers about another server than the one asked about', async function () {
      const other = generateSigningKey();
      const document = signJson({ server_name: 'other.test', valid_until_ts: now + 3600_000, verify_keys: { [other.keyId]: { key: encodePublicKey(other) } } }, 'other.test', other);
      badNotaryAnswers([signJson(document, 'badnotary.test', badNotaryKey)]);
      const { service, storage } = await lookup([pinnedBadNotary()]);
      expect(await service.verifyKey('origin.test', other.keyId)).to.equal(undefined);
      expect(await storage.remoteServerKeys.listForServer('other.test')).to.deep.equal([]);
    });

    it('asks the next notary when one fails', async function () {
      badNotaryAnswers([await originDocument()]);
      const { service, requester } = await lookup([pinnedBadNotary(), pinnedNotary()]);
      expect(await service.verifyKey('origin.test', keyOf(origin()).keyId)).to.equal(encodePublicKey(keyOf(origin())));
      expect(requester.sentTo('badnotary.test')).to.deep.equal(['POST /_matrix/key/v2/query']);
      expect(requester.sentTo('notary.test')).to.deep.equal(['POST /_matrix/key/v2/query']);
    });
  });
});
