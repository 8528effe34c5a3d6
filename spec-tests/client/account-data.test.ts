import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

declare module 'matrix-js-sdk/lib/@types/event.js' {
  interface AccountDataEvents {
    'org.example.settings': { theme: string };
  }
}

for (const engine of testEngines) {
  describe(`client-server-api "Client Config" (account data) on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'data.test', engine, config: { enable_registration: true } });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });
    const global = (user: string, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(user)}/account_data/${type}`;
    const room = (user: string, roomId: string, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(user)}/rooms/${encodeURIComponent(roomId)}/account_data/${type}`;

    it('stores global account data and reads it back through matrix-js-sdk', async function () {
      const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
      await client.setAccountDataRaw('org.example.settings', { theme: 'dark' });
      expect(await client.getAccountDataFromServer('org.example.settings')).to.deep.equal({ theme: 'dark' });
      await client.setAccountDataRaw('org.example.settings', { theme: 'light' });
      expect(await client.getAccountDataFromServer('org.example.settings')).to.deep.equal({ theme: 'light' });
    });

    it('keeps room account data apart from global account data', async function () {
      const roomId = '!room:data.test';
      expect((await rawRequest(server().baseUrl, room(alice.userId, roomId, 'm.tag.x'), { method: 'PUT', body: { a: 1 }, accessToken: alice.accessToken })).status).to.equal(200);
      expect((await rawRequest(server().baseUrl, room(alice.userId, roomId, 'm.tag.x'), { accessToken: alice.accessToken })).json).to.deep.equal({ a: 1 });
      expect((await rawRequest(server().baseUrl, global(alice.userId, 'm.tag.x'), { accessToken: alice.accessToken })).status).to.equal(404);
      expect((await rawRequest(server().baseUrl, room(alice.userId, 'not-a-room', 'x'), { method: 'PUT', body: {}, accessToken: alice.accessToken })).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('answers unknown types with 404 M_NOT_FOUND', async function () {
      const response = await rawRequest(server().baseUrl, global(alice.userId, 'org.example.none'), { accessToken: alice.accessToken });
      expect(response.status).to.equal(404);
      expect(response.json.errcode).to.equal('M_NOT_FOUND');
    });

    it('keeps account data private: another user gets 403 both ways', async function () {
      const read = await rawRequest(server().baseUrl, global(alice.userId, 'org.example.settings'), { accessToken: bob.accessToken });
      const write = await rawRequest(server().baseUrl, global(alice.userId, 'org.example.settings'), { method: 'PUT', body: {}, accessToken: bob.accessToken });
      for (const response of [read, write]) {
        expect(response.status).to.equal(403);
        expect(response.json.errcode).to.equal('M_FORBIDDEN');
      }
    });

    it('refuses server-managed types with 405 M_BAD_JSON and non-object bodies with M_BAD_JSON', async function () {
      for (const type of ['m.fully_read', 'm.push_rules']) {
        const response = await rawRequest(server().baseUrl, global(alice.userId, type), { method: 'PUT', body: { event_id: '$x' }, accessToken: alice.accessToken });
        expect(response.status, type).to.equal(405);
        expect(response.json.errcode).to.equal('M_BAD_JSON');
      }
      const array = await rawRequest(server().baseUrl, global(alice.userId, 'org.example.x'), { method: 'PUT', body: '[1]', accessToken: alice.accessToken });
      expect(array.json.errcode).to.equal('M_BAD_JSON');
    });

    it('"Room Tagging": tags are set with an order, listed, removed, and kept as m.tag room account data', async function () {
      const tags = (roomId: string, tag = '') => `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent(roomId)}/tags${tag ? `/${tag}` : ''}`;
      const roomId = '!tagged:data.test';
      expect((await rawRequest(server().baseUrl, tags(roomId), { accessToken: alice.accessToken })).json).to.deep.equal({ tags: {} });
      expect((await rawRequest(server().baseUrl, tags(roomId, 'm.favourite'), { method: 'PUT', body: { order: 0.25 }, accessToken: alice.accessToken })).status).to.equal(200);
      await rawRequest(server().baseUrl, tags(roomId, 'u.work'), { method: 'PUT', body: {}, accessToken: alice.accessToken });
      expect((await rawRequest(server().baseUrl, tags(roomId), { accessToken: alice.accessToken })).json).to.deep.equal({ tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } });
      expect((await rawRequest(server().baseUrl, room(alice.userId, roomId, 'm.tag'), { accessToken: alice.accessToken })).json.tags).to.have.keys('m.favourite', 'u.work');
      await rawRequest(server().baseUrl, tags(roomId, 'u.work'), { method: 'DELETE', accessToken: alice.accessToken });
      expect((await rawRequest(server().baseUrl, tags(roomId), { accessToken: alice.accessToken })).json).to.deep.equal({ tags: { 'm.favourite': { order: 0.25 } } });
      expect((await rawRequest(server().baseUrl, tags(roomId, 'x'), { method: 'PUT', body: { order: 2 }, accessToken: alice.accessToken })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await rawRequest(server().baseUrl, tags(roomId), { accessToken: bob.accessToken })).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('a room joined since the last /sync comes with all of its account data, including what was set while invited', async function () {
      const call = (user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: object) => rawRequest(server().baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: user.accessToken });
      const roomId = (await call(alice, 'POST', '/createRoom', { preset: 'private_chat', invite: [bob.userId] })).json.room_id as string;
      expect((await call(bob, 'PUT', `/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/tags/u.later`, { order: 0.1 })).status).to.equal(200);
      const since = (await call(bob, 'GET', '/sync?timeout=0')).json.next_batch as string;
      expect((await call(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).status).to.equal(200);
      const joined = (await call(bob, 'GET', `/sync?timeout=0&since=${since}`)).json.rooms.join[roomId];
      const tag = joined.account_data.events.find((event: { type: string }) => event.type === 'm.tag');
      expect(tag?.content).to.deep.equal({ tags: { 'u.later': { order: 0.1 } } });
      // Once reported, it is not repeated.
      const next = (await call(bob, 'GET', `/sync?timeout=0&since=${(await call(bob, 'GET', `/sync?timeout=0&since=${since}`)).json.next_batch}`)).json;
      expect(next.rooms?.join?.[roomId]?.account_data?.events ?? []).to.deep.equal([]);
    });
  });
}
