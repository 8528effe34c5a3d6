/**
 * server-server-api "End-to-End Encryption" and "Device Management" between two Lattice servers over
 * TLS, seen by clients (client-server-api "End-to-End Encryption"): keys of a user of the other server
 * are queried and claimed through their server, changes to their devices and cross-signing keys reach
 * /sync device_lists through m.device_list_update and m.signing_key_update, and shared rooms with
 * remote users start and end device list tracking. Then the acceptance test: matrix-js-sdk clients
 * with Rust crypto on the two servers decrypt each other's messages.
 */
import { expect } from 'chai';
import { EventType, MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, signingKeyFromSeed, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser, type TestUser } from '../harness/accounts.ts';
import { CryptoClients, waitFor, type CryptoTestClient } from '../harness/crypto-clients.ts';
import { eventually, startAliceAndBob, startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawResponse, clientCall as call } from '../harness/requests.ts';
import { startTestHomeserver } from '../harness/homeserver.ts';
import { TestFederationRequester, xMatrixAuthorization } from '../harness/server-requests.ts';


/** A deterministic ed25519 key under `version` (a device ID, or a cross-signing key's name). */
let seeds = 0;
const ed25519Key = (version: string): SigningKey => signingKeyFromSeed(version, new Uint8Array(32).fill(++seeds));

/** Device keys as a client uploads them (definitions/device_keys.yaml), signed by the device's ed25519 key. */
function deviceKeysOf(user: TestUser, key = ed25519Key(user.deviceId)): JsonObject {
  const keys = { [`ed25519:${user.deviceId}`]: encodePublicKey(key), [`curve25519:${user.deviceId}`]: `curve-${user.deviceId}` };
  return signJson({ user_id: user.userId, device_id: user.deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'], keys }, user.userId, key);
}

/** A cross-signing key of `user` (definitions/cross_signing_key.yaml), signed by `signer` when given. */
function crossSigningKey(user: TestUser, usage: string, key: SigningKey, signer?: SigningKey): JsonObject {
  const publicKey = encodePublicKey(key);
  const object = { user_id: user.userId, usage: [usage], keys: { [`ed25519:${publicKey}`]: publicKey } };
  return signer ? signJson(object, user.userId, { ...signer, keyId: `ed25519:${encodePublicKey(signer)}` }) : object;
}

/** A recording requester that signs requests unless told not to, as the real federation client does. */
class SigningRequester extends TestFederationRequester {
  override request<T>(request: Parameters<TestFederationRequester['request']>[0]): Promise<{ status: number; json: T }> {
    return super.request<T>({ ...request, signed: request.signed ?? true });
  }
}

for (const engine of testEngines) {
  describe(`server-server-api "End-to-End Encryption" and "Device Management" between two servers over TLS on ${engine}`, function () {
    this.timeout(30_000);
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    let alice: TestUser;
    let bob: TestUser;
    let roomId: string;
    const bobKeys = () => deviceKeysOf(bob, bobDeviceKey);
    let bobDeviceKey: SigningKey;

    const room = (id: string) => `/rooms/${encodeURIComponent(id)}`;
    const syncOfAlice = async (since?: string): Promise<RawResponse> => call(a, alice, 'GET', `/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`);
    const nextBatch = async () => (await syncOfAlice()).json.next_batch as string;
    /** Waits until alice's /sync since `since` reports device_lists satisfying `check`. */
    const deviceListsOfAlice = (since: string, check: (lists: { changed: string[]; left: string[] }) => boolean, what: string) =>
      eventually(
        async () => {
          const lists = (await syncOfAlice(since)).json.device_lists ?? { changed: [], left: [] };
          return check(lists) && lists;
        },
        10_000,
        what,
      );
    const query = async (deviceKeys: Record<string, string[]>) => {
      const response = await call(a, alice, 'POST', '/keys/query', { device_keys: deviceKeys });
      expect(response.status, response.text).to.equal(200);
      return response.json;
    };
    const claimBobsKey = async () => {
      const response = await call(a, alice, 'POST', '/keys/claim', { one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } } });
      expect(response.status, response.text).to.equal(200);
      expect(response.json.failures).to.deep.equal({});
      return response.json.one_time_keys[bob.userId]?.[bob.deviceId] as Record<string, JsonObject> | undefined;
    };
    const joinedMembers = async (server: TestHomeserver, user: TestUser, id: string) => Object.keys((await call(server, user, 'GET', `${room(id)}/joined_members`)).json.joined ?? {});
    /** A user of b.test joins alice's room over federation, and a.test knows it. */
    const joinFromB = async (user: TestUser) => {
      const joined = await call(b, user, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {});
      expect(joined.status, joined.text).to.equal(200);
      await eventually(async () => (await joinedMembers(a, alice, roomId)).includes(user.userId), 10_000, `${user.userId} joining on a.test`);
    };
    /** Deletes a device of a user of b.test, with the password as user-interactive authentication. */
    const deleteDevice = async (user: TestUser, deviceId: string) => {
      const first = await call(b, user, 'DELETE', `/devices/${deviceId}`, {});
      const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session: first.json.session };
      const response = await call(b, user, 'DELETE', `/devices/${deviceId}`, { auth });
      expect(response.status, response.text).to.equal(200);
    };

    before(async function () {
      ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine }));
      bobDeviceKey = ed25519Key(bob.deviceId);
      roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await joinFromB(bob);
    });
    after(() => federation.stop());

    it('POST /keys/query for a user of another server answers with their server\'s self-signed device keys; an unreachable server is in failures', async function () {
      const uploaded = await call(b, bob, 'POST', '/keys/upload', {
        device_keys: bobKeys(),
        one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'otk1', signatures: {} }, 'signed_curve25519:AAAAAg': { key: 'otk2', signatures: {} } },
        fallback_keys: { 'signed_curve25519:AAAAGj': { key: 'fallback', fallback: true, signatures: {} } },
      });
      expect(uploaded.status, uploaded.text).to.equal(200);
      // A device whose keys are not signed by the ed25519 key they name: b.test stores them, a.test drops them.
      const forger = await loginUser(b, bob, 'FORGED');
      const forged = { ...deviceKeysOf(forger, ed25519Key('OTHER')), keys: { 'ed25519:FORGED': encodePublicKey(ed25519Key('FORGED')) } };
      expect((await call(b, forger, 'POST', '/keys/upload', { device_keys: forged })).status).to.equal(200);

      const answer = await query({ [bob.userId]: [], [alice.userId]: [], '@carol:c.test': [] });
      expect(answer.device_keys[bob.userId]).to.deep.equal({ [bob.deviceId]: { ...bobKeys(), unsigned: {} } });
      expect(answer.device_keys[alice.userId]).to.deep.equal({});
      expect(Object.keys(answer.failures)).to.deep.equal(['c.test']);
      expect(answer.failures['c.test'].status).to.be.a('number');
      // Listed devices only.
      expect((await query({ [bob.userId]: ['NOSUCHDEVICE'] })).device_keys[bob.userId]).to.deep.equal({});
      await deleteDevice(bob, 'FORGED');
    });

    it('POST /keys/claim for a user of another server claims each one-time key once, then the fallback key', async function () {
      const claimed = [await claimBobsKey(), await claimBobsKey()];
      expect(claimed.map((keys) => Object.keys(keys ?? {})[0]).sort()).to.deep.equal(['signed_curve25519:AAAAAQ', 'signed_curve25519:AAAAAg']);
      expect(await claimBobsKey()).to.deep.equal({ 'signed_curve25519:AAAAGj': { key: 'fallback', fallback: true, signatures: {} } });
      expect(await claimBobsKey()).to.deep.equal({ 'signed_curve25519:AAAAGj': { key: 'fallback', fallback: true, signatures: {} } });
    });

    it('a new or deleted device of a remote user reaches /sync device_lists.changed and /keys/changes (m.device_list_update)', async function () {
      const since = await nextBatch();
      const phone = await loginUser(b, bob, 'BOBPHONE');
      expect((await call(b, phone, 'POST', '/keys/upload', { device_keys: deviceKeysOf(phone) })).status).to.equal(200);
      await deviceListsOfAlice(since, (lists) => lists.changed.includes(bob.userId), 'bob in alice\'s device_lists.changed');
      const changes = await call(a, alice, 'GET', `/keys/changes?${new URLSearchParams({ from: since, to: await nextBatch() })}`);
      expect(changes.json.changed).to.include(bob.userId);
      expect(Object.keys((await query({ [bob.userId]: [] })).device_keys[bob.userId]).sort()).to.deep.equal(['BOBPHONE', bob.deviceId].sort());

      const beforeDeletion = await nextBatch();
      await deleteDevice(bob, 'BOBPHONE');
      await deviceListsOfAlice(beforeDeletion, (lists) => lists.changed.includes(bob.userId), 'bob in device_lists.changed after the deletion');
      expect(Object.keys((await query({ [bob.userId]: [] })).device_keys[bob.userId])).to.deep.equal([bob.deviceId]);
    });

    let bobsMasterKey: JsonObject;

    it('cross-signing keys of a remote user reach /sync device_lists.changed (m.signing_key_update) and /keys/query', async function () {
      const since = await nextBatch();
      const master = ed25519Key('master');
      const masterKey = crossSigningKey(bob, 'master', master);
      bobsMasterKey = masterKey;
      const selfSigningKey = crossSigningKey(bob, 'self_signing', ed25519Key('selfsigning'), master);
      const uploaded = await call(b, bob, 'POST', '/keys/device_signing/upload', { master_key: masterKey, self_signing_key: selfSigningKey });
      expect(uploaded.status, uploaded.text).to.equal(200);
      await deviceListsOfAlice(since, (lists) => lists.changed.includes(bob.userId), 'bob in device_lists.changed after his cross-signing keys');
      const answer = await query({ [bob.userId]: [] });
      // b.test answers with the key as uploaded, plus the (here empty) signatures it holds on it.
      expect(answer.master_keys[bob.userId]).to.deep.equal({ ...masterKey, signatures: {} });
      expect(answer.self_signing_keys[bob.userId]).to.deep.equal(selfSigningKey);
      expect(answer.user_signing_keys ?? {}).to.not.have.property(bob.userId);
    });

    it('a local user\'s signature on a remote user\'s master key is checked against the key from their server, and shown to the signer only', async function () {
      const master = ed25519Key('alicemaster');
      const userSigning = ed25519Key('aliceusersigning');
      const own = { master_key: crossSigningKey(alice, 'master', master), self_signing_key: crossSigningKey(alice, 'self_signing', ed25519Key('aliceselfsigning'), master), user_signing_key: crossSigningKey(alice, 'user_signing', userSigning, master) };
      expect((await call(a, alice, 'POST', '/keys/device_signing/upload', own)).status).to.equal(200);
      const bobsMaster = Object.values(bobsMasterKey.keys as Record<string, string>)[0]!;
      const signerKeyId = `ed25519:${encodePublicKey(userSigning)}`;
      const signed = signJson(bobsMasterKey, alice.userId, { ...userSigning, keyId: signerKeyId });
      const uploaded = await call(a, alice, 'POST', '/keys/signatures/upload', { [bob.userId]: { [bobsMaster]: signed } });
      expect(uploaded.json, uploaded.text).to.deep.equal({ failures: {} });
      // A signature by another key, or on a key bob's server does not have, is refused.
      const forged = signJson(bobsMasterKey, alice.userId, { ...ed25519Key('other'), keyId: signerKeyId });
      const unknown = { ...bobsMasterKey, keys: { 'ed25519:unknown': 'unknown' } };
      const refused = await call(a, alice, 'POST', '/keys/signatures/upload', { [bob.userId]: { [bobsMaster]: forged, unknown: signJson(unknown, alice.userId, { ...userSigning, keyId: signerKeyId }) } });
      expect(refused.json.failures[bob.userId][bobsMaster].errcode).to.equal('M_INVALID_SIGNATURE');
      expect(refused.json.failures[bob.userId].unknown.errcode).to.equal('M_INVALID_PARAM');

      const seenByAlice = (await query({ [bob.userId]: [] })).master_keys[bob.userId];
      expect(seenByAlice.signatures[alice.userId]).to.deep.equal({ [signerKeyId]: (signed.signatures as Record<string, Record<string, string>>)[alice.userId]![signerKeyId] });
      const dave = await registerUser(a, 'dave');
      const seenByDave = (await call(a, dave, 'POST', '/keys/query', { device_keys: { [bob.userId]: [] } })).json.master_keys[bob.userId];
      expect(seenByDave.signatures).to.not.have.property(alice.userId);
    });

    it('a remote user joining a shared room is in device_lists.changed, and in left once they share none', async function () {
      const carol = await registerUser(b, 'carol');
      const since = await nextBatch();
      await joinFromB(carol);
      await deviceListsOfAlice(since, (lists) => lists.changed.includes(carol.userId), 'carol in device_lists.changed');
      const beforeLeaving = await nextBatch();
      expect((await call(b, carol, 'POST', `${room(roomId)}/leave`, {})).status).to.equal(200);
      const lists = await deviceListsOfAlice(beforeLeaving, (l) => l.left.includes(carol.userId), 'carol in device_lists.left');
      expect(lists.changed).to.not.include(carol.userId);
    });

    it('ignores device list EDUs for users of other servers than the origin, or sharing no room with local users', async function () {
      const since = await nextBatch();
      const path = '/_matrix/federation/v1/send/e2ee-edus';
      const update = (userId: string) => ({ edu_type: 'm.device_list_update', content: { user_id: userId, device_id: 'X', stream_id: 1, prev_id: [], deleted: true } });
      // Alice is a user of a.test, not of the origin b.test; nobody@b.test shares no room with a user of a.test.
      const edus = [update(alice.userId), { edu_type: 'm.signing_key_update', content: { user_id: alice.userId } }, update('@nobody:b.test'), update(bob.userId)];
      const body = { origin: 'b.test', origin_server_ts: Date.now(), pdus: [], edus };
      const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
      expect((await rawRequest(a.baseUrl, path, { method: 'PUT', body, headers: { authorization } })).status).to.equal(200);
      const lists = await deviceListsOfAlice(since, (l) => l.changed.includes(bob.userId), 'bob\'s update');
      expect(lists.changed).to.deep.equal([bob.userId]);
    });
  });

  describe(`client-server-api "End-to-End Encryption" between matrix-js-sdk Rust crypto clients on two servers on ${engine}`, function () {
    this.timeout(60_000);
    // Clients stop before the servers do (after() hooks run in the order they are declared).
    const clients = new CryptoClients();
    after(() => clients.stopAll());
    let federation: FederatedServers;
    before(async function () {
      federation = await startFederatedServers(['a.test', 'b.test'], { engine });
    });
    after(() => federation.stop());

    /** The first event of `roomId` in the client's live timeline whose (decrypted) body is `body`. */
    const eventWithBody = (client: MatrixClient, id: string, body: string): MatrixEvent | undefined =>
      client
        .getRoom(id)
        ?.getLiveTimeline()
        .getEvents()
        .find((event) => event.getType() === EventType.RoomMessage && event.getContent().body === body);
    const deviceKeysUploaded = ({ requests }: CryptoTestClient) =>
      requests.some((r) => r.path.endsWith('/keys/upload') && r.status === 200 && (r.body as { device_keys?: unknown })?.device_keys !== undefined);

    it('End-to-end encryption between matrix-js-sdk clients (Rust crypto) on two different servers: both decrypt each other\'s messages', async function () {
      const [a, b] = federation.servers as [TestHomeserver, TestHomeserver];
      const [alice, bob] = await Promise.all([clients.start(a, await registerUser(a, 'alice')), clients.start(b, await registerUser(b, 'bob'))]);
      await waitFor(alice.client, 'alice\'s device keys upload', () => deviceKeysUploaded(alice));
      await waitFor(bob.client, 'bob\'s device keys upload', () => deviceKeysUploaded(bob));

      const { room_id: roomId } = await alice.client.createRoom({
        name: 'Secret across servers',
        invite: [bob.user.userId],
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
      await waitFor(bob.client, 'the invite over federation', () => bob.client.getRoom(roomId)?.getMyMembership() === 'invite', 20_000);
      await bob.client.joinRoom(roomId);
      await waitFor(alice.client, 'bob\'s join', () => alice.client.getRoom(roomId)?.getMember(bob.user.userId)?.membership === 'join', 20_000);
      await waitFor(bob.client, 'the encrypted room on bob\'s client', () => bob.client.getCrypto()!.isEncryptionEnabledInRoom(roomId), 20_000);

      await alice.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'secret from a.test' });
      const received = await waitFor(bob.client, 'alice\'s decrypted message on bob\'s client', () => eventWithBody(bob.client, roomId, 'secret from a.test'), 30_000);
      expect(received.getWireType()).to.equal('m.room.encrypted');
      expect(received.isDecryptionFailure()).to.equal(false);
      expect(received.getSender()).to.equal(alice.user.userId);

      await bob.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'secret from b.test' });
      const reply = await waitFor(alice.client, 'bob\'s decrypted reply on alice\'s client', () => eventWithBody(alice.client, roomId, 'secret from b.test'), 30_000);
      expect(reply.getWireType()).to.equal('m.room.encrypted');
      expect(reply.isDecryptionFailure()).to.equal(false);
      expect(reply.getSender()).to.equal(bob.user.userId);

      // Neither server saw a plaintext.
      for (const [server, entry] of [[a, alice], [b, bob]] as const) {
        const messages = await rawRequest(server.baseUrl, `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, { accessToken: entry.user.accessToken });
        expect(messages.text).to.not.include('secret from');
      }
    });
  });

  describe(`server-server-api "Device Management": the m.device_list_update and m.signing_key_update EDUs a server sends on ${engine}`, function () {
    const requesterOfA = new SigningRequester();
    const requesterOfB = new SigningRequester();
    let a: TestHomeserver;
    let b: TestHomeserver;
    let alice: TestUser;

    /** The contents of the EDUs of `type` a.test has sent to b.test so far. */
    const sentEdus = (type: string): JsonObject[] =>
      requesterOfA.requests
        .filter((r) => r.destination === 'b.test' && r.method === 'PUT' && r.path.startsWith('/_matrix/federation/v1/send/'))
        .flatMap((r) => ((r.body as { edus?: Array<{ edu_type: string; content: JsonObject }> }).edus ?? []).filter((edu) => edu.edu_type === type).map((edu) => edu.content));
    const waitForEdu = (type: string, predicate: (content: JsonObject) => boolean) =>
      eventually(async () => sentEdus(type).find(predicate), 10_000, `a matching ${type} EDU`);

    before(async function () {
      a = await startTestHomeserver({ serverName: 'a.test', engine, federationRequester: requesterOfA, config: { enable_registration: true, trusted_key_servers: [] } });
      b = await startTestHomeserver({ serverName: 'b.test', engine, federationRequester: requesterOfB, config: { enable_registration: true, trusted_key_servers: [] } });
      requesterOfA.origin = { serverName: 'a.test', key: a.homeserver.serverKeys.signingKey };
      requesterOfB.origin = { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey };
      requesterOfA.directory.set('b.test', b.baseUrl);
      requesterOfB.directory.set('a.test', a.baseUrl);
      alice = await registerUser(a, 'alice');
      const bob = await registerUser(b, 'bob');
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
      expect((await call(b, bob, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {})).status).to.equal(200);
      await eventually(async () => Object.keys((await call(a, alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/joined_members`)).json.joined ?? {}).includes(bob.userId));
    });
    after(async function () {
      await a.stop();
      await b.stop();
    });

    it('each device change is one m.device_list_update with the device\'s keys, or deleted, in a sequence of stream_id and prev_id', async function () {
      const keys = deviceKeysOf(alice);
      expect((await call(a, alice, 'POST', '/keys/upload', { device_keys: keys })).status).to.equal(200);
      const first = await waitForEdu('m.device_list_update', (c) => c.device_id === alice.deviceId);
      expect(first).to.deep.include({ user_id: alice.userId, keys });
      expect(first.stream_id).to.be.a('number');
      expect(first.deleted).to.equal(undefined);

      const phone = await loginUser(a, alice, 'PHONE');
      await call(a, phone, 'PUT', '/devices/PHONE', { display_name: 'Alice phone' });
      // Renaming is a device list change too ("Device Management"): the new name goes out.
      const renamed = await waitForEdu('m.device_list_update', (c) => c.device_id === 'PHONE' && c.device_display_name === 'Alice phone');
      expect(renamed.prev_id).to.deep.equal([first.stream_id]);
      const phoneKeys = deviceKeysOf(phone);
      expect((await call(a, phone, 'POST', '/keys/upload', { device_keys: phoneKeys })).status).to.equal(200);
      const added = await waitForEdu('m.device_list_update', (c) => c.device_id === 'PHONE' && c.keys !== undefined);
      expect(added).to.deep.include({ user_id: alice.userId, device_display_name: 'Alice phone', keys: phoneKeys, prev_id: [renamed.stream_id] });
      expect(added.stream_id).to.be.greaterThan(renamed.stream_id as number);

      const first401 = await call(a, alice, 'DELETE', '/devices/PHONE', {});
      const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password, session: first401.json.session };
      expect((await call(a, alice, 'DELETE', '/devices/PHONE', { auth })).status).to.equal(200);
      const deleted = await waitForEdu('m.device_list_update', (c) => c.device_id === 'PHONE' && c.deleted === true);
      expect(deleted).to.deep.equal({ user_id: alice.userId, device_id: 'PHONE', deleted: true, stream_id: deleted.stream_id, prev_id: [added.stream_id] });
      expect(deleted.stream_id).to.be.greaterThan(added.stream_id as number);
    });

    it('new master and self-signing keys are one m.signing_key_update; a user-signing key alone is not announced', async function () {
      const master = ed25519Key('master');
      const masterKey = crossSigningKey(alice, 'master', master);
      const selfSigningKey = crossSigningKey(alice, 'self_signing', ed25519Key('selfsigning'), master);
      const userSigningKey = crossSigningKey(alice, 'user_signing', ed25519Key('usersigning'), master);
      const uploaded = await call(a, alice, 'POST', '/keys/device_signing/upload', { master_key: masterKey, self_signing_key: selfSigningKey });
      expect(uploaded.status, uploaded.text).to.equal(200);
      const update = await waitForEdu('m.signing_key_update', (c) => c.user_id === alice.userId);
      expect(update).to.deep.equal({ user_id: alice.userId, master_key: { ...masterKey, signatures: {} }, self_signing_key: selfSigningKey });

      const first = await call(a, alice, 'POST', '/keys/device_signing/upload', { user_signing_key: userSigningKey });
      const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password, session: first.json.session };
      expect((await call(a, alice, 'POST', '/keys/device_signing/upload', { user_signing_key: userSigningKey, auth })).status).to.equal(200);
      // A device change after it is announced, and no second m.signing_key_update before it.
      const tablet = await loginUser(a, alice, 'TABLET');
      await call(a, tablet, 'POST', '/keys/upload', { device_keys: deviceKeysOf(tablet) });
      await waitForEdu('m.device_list_update', (c) => c.device_id === 'TABLET');
      expect(sentEdus('m.signing_key_update')).to.have.length(1);
    });
  });
}
