import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api room access: history visibility and non-members on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'access.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const send = async (user: TestUser, roomId: string, body: string): Promise<string> =>
      (await api(user, 'PUT', `${room(roomId)}/send/m.room.message/${body.replace(/\W/g, '')}${Math.random()}`, { msgtype: 'm.text', body })).json.event_id;
    const bodiesIn = (events: Array<{ content: { body?: string } }>) => events.map((e) => e.content.body).filter(Boolean);

    let alice: TestUser;
    let bob: TestUser;
    let eve: TestUser;
    before(async function () {
      [alice, bob, eve] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'eve')];
    });

    /** A public room with the given history visibility and one message sent before bob joins. */
    async function roomWithHistory(visibility: string): Promise<{ roomId: string; before: string }> {
      const roomId = (await api(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: visibility } }],
      })).json.room_id;
      return { roomId, before: await send(alice, roomId, `before bob (${visibility})`) };
    }

    it('"History visibility" joined: a later joiner reads nothing from before their join, in /messages, /event, /context or /sync', async function () {
      const { roomId, before } = await roomWithHistory('joined');
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      await send(alice, roomId, 'after bob');
      const messages = await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=50`);
      expect(bodiesIn(messages.json.chunk)).to.deep.equal(['after bob']);
      expect((await api(bob, 'GET', `${room(roomId)}/event/${encodeURIComponent(before)}`)).json.errcode).to.equal('M_NOT_FOUND');
      expect((await api(bob, 'GET', `${room(roomId)}/context/${encodeURIComponent(before)}`)).json.errcode).to.equal('M_NOT_FOUND');
      const sync = await api(bob, 'GET', `/sync?filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`);
      expect(bodiesIn(sync.json.rooms.join[roomId].timeline.events)).to.deep.equal(['after bob']);
    });

    it('"History visibility" shared: a later joiner reads the history from before their join', async function () {
      const { roomId, before } = await roomWithHistory('shared');
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      expect(bodiesIn((await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=50`)).json.chunk)).to.include('before bob (shared)');
      expect((await api(bob, 'GET', `${room(roomId)}/event/${encodeURIComponent(before)}`)).status).to.equal(200);
    });

    it('"History visibility" world_readable: a non-member reads messages and state; otherwise they read nothing', async function () {
      const { roomId } = await roomWithHistory('world_readable');
      expect(bodiesIn((await api(eve, 'GET', `${room(roomId)}/messages?dir=b&limit=50`)).json.chunk)).to.include('before bob (world_readable)');
      expect((await api(eve, 'GET', `${room(roomId)}/state`)).status).to.equal(200);
    });

    it('a non-member never sees a private room\'s events, state or members', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'private_chat', name: 'Secret' })).json.room_id;
      const secret = await send(alice, roomId, 'secret');
      const forbidden = [
        `${room(roomId)}/state`,
        `${room(roomId)}/state/m.room.name`,
        `${room(roomId)}/members`,
        `${room(roomId)}/joined_members`,
        `${room(roomId)}/messages?dir=b`,
      ];
      for (const path of forbidden) {
        const response = await api(eve, 'GET', path);
        expect([response.status, response.json.errcode], path).to.deep.equal([403, 'M_FORBIDDEN']);
      }
      for (const path of [`${room(roomId)}/event/${encodeURIComponent(secret)}`, `${room(roomId)}/context/${encodeURIComponent(secret)}`]) {
        const response = await api(eve, 'GET', path);
        expect([response.status, response.json.errcode], path).to.deep.equal([404, 'M_NOT_FOUND']);
        expect(JSON.stringify(response.json)).not.to.include('secret');
      }
      expect((await api(eve, 'PUT', `${room(roomId)}/send/m.room.message/x1`, { msgtype: 'm.text', body: 'hi' })).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(eve, 'POST', `${room(roomId)}/join`, {})).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"Power levels": a member below events_default cannot send; the room creator can raise them', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', power_level_content_override: { events_default: 50 } })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const refused = await api(bob, 'PUT', `${room(roomId)}/send/m.room.message/p1`, { msgtype: 'm.text', body: 'muted' });
      expect([refused.status, refused.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      const levels = (await api(alice, 'GET', `${room(roomId)}/state/m.room.power_levels`)).json;
      expect((await api(alice, 'PUT', `${room(roomId)}/state/m.room.power_levels`, { ...levels, users: { ...levels.users, [bob.userId]: 50 } })).status).to.equal(200);
      expect((await api(bob, 'PUT', `${room(roomId)}/send/m.room.message/p2`, { msgtype: 'm.text', body: 'voiced' })).status).to.equal(200);
      // Bob cannot give himself more than he has.
      const raise = await api(bob, 'PUT', `${room(roomId)}/state/m.room.power_levels`, { ...levels, users: { ...levels.users, [bob.userId]: 100 } });
      expect(raise.json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"Lazy-loading room members": the summary counts every member while the state holds only the senders', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      await api(eve, 'POST', `${room(roomId)}/join`, {});
      await send(alice, roomId, 'only alice speaks');
      const filter = { room: { rooms: [roomId], timeline: { limit: 1 }, state: { lazy_load_members: true } } };
      const sync = await api(bob, 'GET', `/sync?filter=${encodeURIComponent(JSON.stringify(filter))}`);
      const joined = sync.json.rooms.join[roomId];
      expect(joined.summary['m.joined_member_count']).to.equal(3);
      expect(joined.summary['m.heroes']).to.have.members([alice.userId, eve.userId]);
      const members = joined.state.events.filter((e: { type: string }) => e.type === 'm.room.member').map((e: { state_key: string }) => e.state_key);
      expect(members).to.have.members([alice.userId, bob.userId]);
    });

    it('answers bad query parameters with M_MISSING_PARAM or M_INVALID_PARAM naming the parameter', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      const missing = await api(alice, 'GET', `${room(roomId)}/messages`);
      expect([missing.status, missing.json.errcode]).to.deep.equal([400, 'M_MISSING_PARAM']);
      expect(missing.json.error).to.include('dir');
      const invalid = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=ten`);
      expect([invalid.status, invalid.json.errcode]).to.deep.equal([400, 'M_INVALID_PARAM']);
      expect(invalid.json.error).to.include('limit');
      expect((await api(alice, 'GET', `${room(roomId)}/members?membership=lurking`)).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(alice, 'GET', '/sync?timeout=-5')).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(alice, 'GET', '/sync?full_state=yes')).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('"Using access tokens": a missing token is M_MISSING_TOKEN, an unknown one M_UNKNOWN_TOKEN with soft_logout false', async function () {
      const missing = await rawRequest(server().baseUrl, '/_matrix/client/v3/joined_rooms');
      expect([missing.status, missing.json.errcode]).to.deep.equal([401, 'M_MISSING_TOKEN']);
      const unknown = await rawRequest(server().baseUrl, '/_matrix/client/v3/joined_rooms', { accessToken: 'syt_not_a_token' });
      expect([unknown.status, unknown.json.errcode, unknown.json.soft_logout]).to.deep.equal([401, 'M_UNKNOWN_TOKEN', false]);
    });
  });
}
