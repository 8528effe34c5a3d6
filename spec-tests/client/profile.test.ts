import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Profiles" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'profile.test', engine, config: { enable_registration: true } });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });
    const path = (userId: string, key = '') => `/_matrix/client/v3/profile/${encodeURIComponent(userId)}${key ? `/${encodeURIComponent(key)}` : ''}`;

    it('sets and reads displayname and avatar_url through matrix-js-sdk', async function () {
      const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
      await client.setDisplayName('Alice A.');
      await client.setAvatarUrl('mxc://profile.test/abc');
      expect(await client.getProfileInfo(alice.userId)).to.deep.equal({ displayname: 'Alice A.', avatar_url: 'mxc://profile.test/abc' });
      expect(await client.getProfileInfo(alice.userId, 'displayname')).to.deep.equal({ displayname: 'Alice A.' });
    });

    it('stores custom fields (v1.16), including m.tz, and deletes them', async function () {
      const put = await rawRequest(server().baseUrl, path(alice.userId, 'org.example.job'), { method: 'PUT', body: { 'org.example.job': { title: 'Engineer' } }, accessToken: alice.accessToken });
      expect(put.status).to.equal(200);
      await rawRequest(server().baseUrl, path(alice.userId, 'm.tz'), { method: 'PUT', body: { 'm.tz': 'Europe/Paris' }, accessToken: alice.accessToken });
      expect((await rawRequest(server().baseUrl, path(alice.userId))).json).to.deep.include({ 'org.example.job': { title: 'Engineer' }, 'm.tz': 'Europe/Paris' });
      expect((await rawRequest(server().baseUrl, path(alice.userId, 'org.example.job'), { method: 'DELETE', accessToken: alice.accessToken })).status).to.equal(200);
      const gone = await rawRequest(server().baseUrl, path(alice.userId, 'org.example.job'));
      expect(gone.status).to.equal(404);
      expect(gone.json.errcode).to.equal('M_NOT_FOUND');
    });

    it('refuses to change another user\'s profile', async function () {
      const response = await rawRequest(server().baseUrl, path(alice.userId, 'displayname'), { method: 'PUT', body: { displayname: 'Mallory' }, accessToken: bob.accessToken });
      expect(response.status).to.equal(403);
      expect(response.json.errcode).to.equal('M_FORBIDDEN');
    });

    it('validates values: missing property, non-string displayname, non-mxc avatar', async function () {
      const put = (key: string, body: object) => rawRequest(server().baseUrl, path(bob.userId, key), { method: 'PUT', body, accessToken: bob.accessToken });
      expect((await put('displayname', {})).json.errcode).to.equal('M_MISSING_PARAM');
      expect((await put('displayname', { displayname: 5 })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await put('avatar_url', { avatar_url: 'https://example.com/a.png' })).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('enforces the 255-byte key and 64 KiB profile limits', async function () {
      const longKey = `org.example.${'k'.repeat(250)}`;
      const tooLongKey = await rawRequest(server().baseUrl, path(bob.userId, longKey), { method: 'PUT', body: { [longKey]: 1 }, accessToken: bob.accessToken });
      expect(tooLongKey.json.errcode).to.equal('M_KEY_TOO_LARGE');
      const big = await rawRequest(server().baseUrl, path(bob.userId, 'org.example.big'), { method: 'PUT', body: { 'org.example.big': 'x'.repeat(70_000) }, accessToken: bob.accessToken });
      expect(big.status).to.equal(400);
      expect(big.json.errcode).to.equal('M_PROFILE_TOO_LARGE');
    });

    it('answers 404 for an unknown user', async function () {
      expect((await rawRequest(server().baseUrl, path('@nobody:profile.test'))).status).to.equal(404);
    });
  });
}
