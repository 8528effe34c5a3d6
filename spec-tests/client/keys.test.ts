import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

/** Device keys shaped as a client uploads them; the server stores public keys as given. */
function deviceKeysOf(user: TestUser) {
  return {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${user.deviceId}`]: `curve-${user.deviceId}`, [`ed25519:${user.deviceId}`]: `ed-${user.deviceId}` },
    signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: 'sig' } },
  };
}

for (const engine of testEngines) {
  describe(`client-server-api "End-to-End Encryption" key APIs on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'keys.test', engine, config: { enable_registration: true } });
    const post = (user: TestUser, path: string, body: object) => rawRequest(server().baseUrl, `/_matrix/client/v3/keys/${path}`, { body, accessToken: user.accessToken });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });

    it('"Extensions to /sync": device_one_time_keys_count follows uploads and claims, and starts over for a device ID logged in again', async function () {
      const carol = await registerUser(server(), 'carol');
      const counts = async (user: TestUser) => (await rawRequest(server().baseUrl, '/_matrix/client/v3/sync?timeout=0', { accessToken: user.accessToken })).json;
      await post(carol, 'upload', { one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'c1', signatures: {} }, 'signed_curve25519:AAAAAg': { key: 'c2', signatures: {} } } });
      expect((await counts(carol)).device_one_time_keys_count).to.deep.equal({ signed_curve25519: 2 });
      await post(bob, 'claim', { one_time_keys: { [carol.userId]: { [carol.deviceId]: 'signed_curve25519' } } });
      expect((await counts(carol)).device_one_time_keys_count).to.deep.equal({ signed_curve25519: 1 });
      await post(carol, 'upload', { fallback_keys: { 'signed_curve25519:AAAAGj': { key: 'fb', fallback: true, signatures: {} } } });
      expect((await counts(carol)).device_unused_fallback_key_types).to.deep.equal(['signed_curve25519']);
      await rawRequest(server().baseUrl, '/_matrix/client/v3/logout', { method: 'POST', body: {}, accessToken: carol.accessToken });
      const again = await loginUser(server(), carol, carol.deviceId);
      const fresh = await counts(again);
      expect(fresh.device_one_time_keys_count).to.deep.equal({});
      expect(fresh.device_unused_fallback_key_types).to.deep.equal([]);
    });

    it('uploads device keys and one-time keys and counts the unclaimed ones per algorithm', async function () {
      const response = await post(alice, 'upload', {
        device_keys: deviceKeysOf(alice),
        one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'otk1', signatures: {} }, 'signed_curve25519:AAAAAg': { key: 'otk2', signatures: {} }, 'curve25519:AAAAAw': 'plain' },
        fallback_keys: { 'signed_curve25519:AAAAGj': { key: 'fallback', fallback: true, signatures: {} } },
      });
      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal({ one_time_key_counts: { signed_curve25519: 2, curve25519: 1 } });
      const again = await post(alice, 'upload', { one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'otk1', signatures: {} } } });
      expect(again.json.one_time_key_counts.signed_curve25519).to.equal(2);
    });

    it('refuses device keys for another device and a one-time key ID reused with other content', async function () {
      const foreign = await post(bob, 'upload', { device_keys: deviceKeysOf(alice) });
      expect(foreign.status).to.equal(400);
      expect(foreign.json.errcode).to.equal('M_INVALID_PARAM');
      const reused = await post(alice, 'upload', { one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'different', signatures: {} } } });
      expect(reused.status).to.equal(400);
      const malformed = await post(alice, 'upload', { one_time_keys: { nocolon: 'x' } });
      expect(malformed.json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('answers /keys/query with the device keys and display name, for all or listed devices', async function () {
      await rawRequest(server().baseUrl, `/_matrix/client/v3/devices/${alice.deviceId}`, { method: 'PUT', body: { display_name: 'Alice phone' }, accessToken: alice.accessToken });
      const all = await post(bob, 'query', { device_keys: { [alice.userId]: [], [bob.userId]: [] } });
      expect(all.status).to.equal(200);
      expect(all.json.device_keys[alice.userId][alice.deviceId]).to.deep.equal({ ...deviceKeysOf(alice), unsigned: { device_display_name: 'Alice phone' } });
      expect(all.json.device_keys[bob.userId]).to.deep.equal({});
      const listed = await post(bob, 'query', { device_keys: { [alice.userId]: ['OTHER'] } });
      expect(listed.json.device_keys[alice.userId]).to.deep.equal({});
    });

    it('reports users on other servers as failures until federation exists', async function () {
      const response = await post(bob, 'query', { device_keys: { '@carol:elsewhere.test': [] } });
      expect(Object.keys(response.json.failures)).to.deep.equal(['elsewhere.test']);
    });

    it('gives each one-time key to one claimer only, then the fallback key, which is kept', async function () {
      const claim = () => post(bob, 'claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
      const claimed = await Promise.all([claim(), claim()]);
      const keyIds = claimed.map((r) => Object.keys(r.json.one_time_keys[alice.userId][alice.deviceId])[0]);
      expect([...keyIds].sort()).to.deep.equal(['signed_curve25519:AAAAAQ', 'signed_curve25519:AAAAAg']);
      const counts = await post(alice, 'upload', {});
      expect(counts.json.one_time_key_counts).to.deep.equal({ curve25519: 1 });
      for (let i = 0; i < 2; i++) {
        const fallback = await claim();
        expect(fallback.json.one_time_keys[alice.userId][alice.deviceId]).to.deep.equal({ 'signed_curve25519:AAAAGj': { key: 'fallback', fallback: true, signatures: {} } });
      }
      const none = await post(bob, 'claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'unknown_algorithm' } } });
      expect(none.json.one_time_keys).to.deep.equal({});
    });

    it('forgets a device\'s keys when the device is deleted', async function () {
      const laptop = await loginUser(server(), alice, 'LAPTOP');
      await post(laptop, 'upload', { device_keys: deviceKeysOf(laptop), one_time_keys: { 'signed_curve25519:X': { key: 'x', signatures: {} } } });
      expect(Object.keys((await post(bob, 'query', { device_keys: { [alice.userId]: [] } })).json.device_keys[alice.userId])).to.include('LAPTOP');
      await rawRequest(server().baseUrl, '/_matrix/client/v3/logout', { method: 'POST', body: {}, accessToken: laptop.accessToken });
      expect(Object.keys((await post(bob, 'query', { device_keys: { [alice.userId]: [] } })).json.device_keys[alice.userId])).not.to.include('LAPTOP');
      const claim = await post(bob, 'claim', { one_time_keys: { [alice.userId]: { LAPTOP: 'signed_curve25519' } } });
      expect(claim.json.one_time_keys).to.deep.equal({});
    });
  });

  describe(`client-server-api "Tracking the device list for a user": device_lists in /sync and /keys/changes on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'devicelists.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const nextBatch = async (user: TestUser) => (await api(user, 'GET', '/sync?timeout=0')).json.next_batch as string;
    const deviceLists = async (user: TestUser, since: string, timeout = 0) => {
      const response = await api(user, 'GET', `/sync?${new URLSearchParams({ since, timeout: String(timeout) })}`);
      return { changed: [], left: [], ...response.json.device_lists, next: response.json.next_batch as string };
    };
    const keysChanges = async (user: TestUser, from: string, to: string) => (await api(user, 'GET', `/keys/changes?${new URLSearchParams({ from, to })}`)).json;
    const createRoom = async (user: TestUser) => (await api(user, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
    const join = (user: TestUser, roomId: string) => api(user, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    const leave = (user: TestUser, roomId: string) => api(user, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {});
    let carol: TestUser;
    let dan: TestUser;
    let erin: TestUser;
    let firstRoom: string;
    before(async function () {
      [carol, dan, erin] = await Promise.all([registerUser(server(), 'carol'), registerUser(server(), 'dan'), registerUser(server(), 'erin')]);
    });

    it('lists a user who joins a shared room in changed, on both sides, and /keys/changes agrees', async function () {
      firstRoom = await createRoom(carol);
      const [carolSince, danSince] = await Promise.all([nextBatch(carol), nextBatch(dan)]);
      expect((await join(dan, firstRoom)).status).to.equal(200);
      const carolSees = await deviceLists(carol, carolSince);
      expect(carolSees.changed).to.include(dan.userId);
      expect(carolSees.left).to.deep.equal([]);
      expect((await deviceLists(dan, danSince)).changed).to.include(carol.userId);
      expect(await keysChanges(carol, carolSince, carolSees.next)).to.deep.equal({ changed: [dan.userId], left: [] });
    });

    it('does not list a room-mate whose join only changes their profile', async function () {
      const since = await nextBatch(carol);
      // A per-room display name: a new m.room.member event, join to join.
      const rename = await api(dan, 'PUT', `/rooms/${encodeURIComponent(firstRoom)}/state/m.room.member/${encodeURIComponent(dan.userId)}`, { membership: 'join', displayname: 'Dan here' });
      expect(rename.status).to.equal(200);
      const after = await deviceLists(carol, since);
      expect(after.changed).to.deep.equal([]);
      expect(after.left).to.deep.equal([]);
    });

    it('lists a room-mate who uploads device keys in changed and wakes a long poll; a stranger is not listed', async function () {
      const since = await nextBatch(carol);
      const started = Date.now();
      const polling = deviceLists(carol, since, 10_000);
      await api(erin, 'POST', '/keys/upload', { device_keys: deviceKeysOf(erin) });
      await api(dan, 'POST', '/keys/upload', { device_keys: deviceKeysOf(dan) });
      const seen = await polling;
      // Woken by dan's change, not by the end of the 10 s timeout.
      expect(Date.now() - started).to.be.below(5000);
      expect(seen.changed).to.deep.equal([dan.userId]);
      const later = await deviceLists(carol, seen.next);
      expect(later.changed).to.not.include(erin.userId);
      expect(await keysChanges(carol, since, later.next)).to.deep.equal({ changed: [dan.userId], left: [] });
      // Repeating the same keys is no change.
      await api(dan, 'POST', '/keys/upload', { device_keys: deviceKeysOf(dan) });
      expect((await deviceLists(carol, later.next)).changed).to.deep.equal([]);
    });

    it('lists a user in left once the last shared room is left, not while another is shared', async function () {
      const secondRoom = await createRoom(carol);
      await join(dan, secondRoom);
      const since = await nextBatch(carol);
      const danSince = await nextBatch(dan);
      await leave(dan, firstRoom);
      const stillShared = await deviceLists(carol, since);
      expect(stillShared.left).to.deep.equal([]);
      await leave(dan, secondRoom);
      const gone = await deviceLists(carol, stillShared.next);
      expect(gone.left).to.deep.equal([dan.userId]);
      expect(gone.changed).to.deep.equal([]);
      expect((await deviceLists(dan, danSince)).left).to.deep.equal([carol.userId]);
      expect(await keysChanges(carol, since, gone.next)).to.deep.equal({ changed: [], left: [dan.userId] });
      // Nothing shared any more: dan's later device changes are not carol's business.
      await loginUser(server(), dan, 'DAN2').then((phone) => api(phone, 'POST', '/keys/upload', { device_keys: deviceKeysOf(phone) }));
      expect((await deviceLists(carol, gone.next)).changed).to.deep.equal([]);
    });

    it('requires both /keys/changes tokens and rejects malformed ones', async function () {
      const since = await nextBatch(carol);
      const missing = await api(carol, 'GET', `/keys/changes?from=${since}`);
      expect(missing.status).to.equal(400);
      expect(missing.json.errcode).to.equal('M_MISSING_PARAM');
      const malformed = await api(carol, 'GET', `/keys/changes?from=garbage&to=${since}`);
      expect(malformed.status).to.equal(400);
      expect(malformed.json.errcode).to.equal('M_INVALID_PARAM');
    });
  });
}
