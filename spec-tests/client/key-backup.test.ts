import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

const algorithm = 'm.megolm_backup.v1.curve25519-aes-sha2';
const keyData = (index: number, verified = false, forwarded = 0) => ({
  first_message_index: index,
  forwarded_count: forwarded,
  is_verified: verified,
  session_data: { ephemeral: `e${index}${verified}${forwarded}`, ciphertext: 'c', mac: 'm' },
});

for (const engine of testEngines) {
  describe(`client-server-api "Server-side key backups" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'backup.test', engine, config: { enable_registration: true } });
    const call = (user: TestUser, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: object) =>
      rawRequest(server().baseUrl, `/_matrix/client/v3/room_keys/${path}`, { method, body, accessToken: user.accessToken });
    let alice: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
    });

    it('has no backup at first: 404 M_NOT_FOUND', async function () {
      const response = await call(alice, 'GET', 'version');
      expect(response.status).to.equal(404);
      expect(response.json.errcode).to.equal('M_NOT_FOUND');
    });

    it('creates versions and reports the newest', async function () {
      expect((await call(alice, 'POST', 'version', { algorithm, auth_data: { public_key: 'pk1' } })).json.version).to.equal('1');
      expect((await call(alice, 'POST', 'version', { algorithm, auth_data: { public_key: 'pk2' } })).json.version).to.equal('2');
      const latest = (await call(alice, 'GET', 'version')).json;
      expect(latest).to.deep.equal({ algorithm, auth_data: { public_key: 'pk2' }, count: 0, etag: '0', version: '2' });
    });

    it('stores keys in the newest version only, answering older ones with M_WRONG_ROOM_KEYS_VERSION', async function () {
      const put = await call(alice, 'PUT', 'keys?version=2', { rooms: { '!r:backup.test': { sessions: { s1: keyData(5), s2: keyData(0) } } } });
      expect(put.status).to.equal(200);
      expect(put.json.count).to.equal(2);
      const old = await call(alice, 'PUT', 'keys?version=1', { rooms: {} });
      expect(old.status).to.equal(403);
      expect(old.json).to.include({ errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: '2' });
    });

    it('keeps the better key: verified, then lower first_message_index, then lower forwarded_count', async function () {
      const session = 'keys/!r:backup.test/s1?version=2';
      const before = (await call(alice, 'GET', 'version/2')).json.etag;
      await call(alice, 'PUT', session, keyData(9));
      expect((await call(alice, 'GET', session)).json).to.deep.equal(keyData(5));
      expect((await call(alice, 'GET', 'version/2')).json.etag).to.equal(before);
      await call(alice, 'PUT', session, keyData(3, false, 2));
      expect((await call(alice, 'GET', session)).json).to.deep.equal(keyData(3, false, 2));
      await call(alice, 'PUT', session, keyData(3, false, 1));
      expect((await call(alice, 'GET', session)).json).to.deep.equal(keyData(3, false, 1));
      await call(alice, 'PUT', session, keyData(8, true));
      expect((await call(alice, 'GET', session)).json).to.deep.equal(keyData(8, true));
      await call(alice, 'PUT', session, keyData(0, false));
      expect((await call(alice, 'GET', session)).json).to.deep.equal(keyData(8, true));
      expect((await call(alice, 'GET', 'version/2')).json.etag).not.to.equal(before);
    });

    it('reads keys by room and in full, and deletes them', async function () {
      expect(Object.keys((await call(alice, 'GET', 'keys/!r:backup.test?version=2')).json.sessions)).to.deep.equal(['s1', 's2']);
      expect((await call(alice, 'GET', 'keys/!other:backup.test?version=2')).json).to.deep.equal({ sessions: {} });
      expect(Object.keys((await call(alice, 'GET', 'keys?version=2')).json.rooms)).to.deep.equal(['!r:backup.test']);
      const deleted = await call(alice, 'DELETE', 'keys/!r:backup.test/s2?version=2');
      expect(deleted.json.count).to.equal(1);
      expect((await call(alice, 'GET', 'keys/!r:backup.test/s2?version=2')).status).to.equal(404);
    });

    it('updates auth_data but not the algorithm, and deletes a version, making the previous one current', async function () {
      expect((await call(alice, 'PUT', 'version/2', { algorithm, auth_data: { public_key: 'pk2', signatures: {} } })).status).to.equal(200);
      expect((await call(alice, 'PUT', 'version/2', { algorithm: 'other', auth_data: {} })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await call(alice, 'DELETE', 'version/2')).status).to.equal(200);
      expect((await call(alice, 'GET', 'version/2')).status).to.equal(404);
      expect((await call(alice, 'GET', 'version')).json.version).to.equal('1');
      expect((await call(alice, 'POST', 'version', { algorithm, auth_data: {} })).json.version).to.equal('3');
    });

    it('keeps backups private to their user', async function () {
      const bob = await registerUser(server(), 'bob');
      expect((await call(bob, 'GET', 'version')).status).to.equal(404);
      expect((await call(bob, 'GET', 'keys?version=1')).status).to.equal(404);
    });
  });
}
