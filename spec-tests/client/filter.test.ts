import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Filtering" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'filter.test', engine, config: { enable_registration: true } });
    let alice: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
    });
    const filterPath = (userId: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/filter`;
    const filter = { room: { timeline: { limit: 10, types: ['m.room.message'] }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } };

    it('stores a filter and returns it by ID; the same filter gets the same ID', async function () {
      const created = await rawRequest(server().baseUrl, filterPath(alice.userId), { body: filter, accessToken: alice.accessToken });
      expect(created.status).to.equal(200);
      expect(created.json.filter_id).to.be.a('string');
      const read = await rawRequest(server().baseUrl, `${filterPath(alice.userId)}/${created.json.filter_id}`, { accessToken: alice.accessToken });
      expect(read.json).to.deep.equal(filter);
      const again = await rawRequest(server().baseUrl, filterPath(alice.userId), { body: filter, accessToken: alice.accessToken });
      expect(again.json.filter_id).to.equal(created.json.filter_id);
      const other = await rawRequest(server().baseUrl, filterPath(alice.userId), { body: { room: { timeline: { limit: 5 } } }, accessToken: alice.accessToken });
      expect(other.json.filter_id).not.to.equal(created.json.filter_id);
    });

    it('rejects malformed filters with M_BAD_JSON', async function () {
      const response = await rawRequest(server().baseUrl, filterPath(alice.userId), { body: { room: { timeline: { limit: 'ten' } } }, accessToken: alice.accessToken });
      expect(response.status).to.equal(400);
      expect(response.json.errcode).to.equal('M_BAD_JSON');
    });

    it('answers unknown filter IDs with 404 and other users\' filters with 403', async function () {
      expect((await rawRequest(server().baseUrl, `${filterPath(alice.userId)}/999`, { accessToken: alice.accessToken })).status).to.equal(404);
      expect((await rawRequest(server().baseUrl, `${filterPath(alice.userId)}/abc`, { accessToken: alice.accessToken })).status).to.equal(404);
      const bob = await registerUser(server(), 'bob');
      expect((await rawRequest(server().baseUrl, `${filterPath(alice.userId)}/0`, { accessToken: bob.accessToken })).status).to.equal(403);
    });

    it('applies a filter\'s event_fields, ephemeral types and contains_url to what /sync and /messages return', async function () {
      const api = (method: 'GET' | 'POST' | 'PUT', path: string, body?: object) =>
        rawRequest(server().baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: alice.accessToken });
      const roomId = (await api('POST', '/createRoom', {})).json.room_id;
      const room = `/rooms/${encodeURIComponent(roomId)}`;
      await api('PUT', `${room}/send/m.room.message/f1`, { msgtype: 'm.text', body: 'plain' });
      const image = (await api('PUT', `${room}/send/m.room.message/f2`, { msgtype: 'm.image', body: 'pic', url: 'mxc://filter.test/abc' })).json.event_id;
      await api('PUT', `${room}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 30000 });
      await api('POST', `${room}/receipt/m.read/${encodeURIComponent(image)}`, {});

      const syncFilter = { event_fields: ['type', 'content.body'], room: { rooms: [roomId], timeline: { limit: 2 }, ephemeral: { types: ['m.typing'] } } };
      const sync = await api('GET', `/sync?filter=${encodeURIComponent(JSON.stringify(syncFilter))}`);
      const joined = sync.json.rooms.join[roomId];
      expect(joined.timeline.events).to.deep.equal([{ type: 'm.room.message', content: { body: 'plain' } }, { type: 'm.room.message', content: { body: 'pic' } }]);
      expect(joined.ephemeral.events.map((e: { type: string }) => e.type)).to.deep.equal(['m.typing']);

      const withUrl = await api('GET', `${room}/messages?dir=b&filter=${encodeURIComponent(JSON.stringify({ contains_url: true }))}`);
      expect(withUrl.json.chunk.map((e: { event_id: string }) => e.event_id)).to.deep.equal([image]);
    });
  });
}
