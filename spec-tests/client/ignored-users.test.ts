import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, type RawResponse } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Ignoring Users" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'ignore.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const sync = (user: TestUser, params: Record<string, string> = {}) => api(user, 'GET', `/sync?${new URLSearchParams(params)}`);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const ignore = (user: TestUser, ignored: TestUser[]) =>
      api(user, 'PUT', `/user/${encodeURIComponent(user.userId)}/account_data/m.ignored_user_list`, { ignored_users: Object.fromEntries(ignored.map((u) => [u.userId, {}])) });
    const timelineBodies = (response: RawResponse, roomId: string): string[] =>
      (response.json.rooms?.join?.[roomId]?.timeline.events ?? []).map((e: { content: { body?: string; topic?: string } }) => e.content.body ?? `topic:${e.content.topic}`);

    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let roomId: string;
    before(async function () {
      [alice, bob, carol] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol')];
      roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      await api(carol, 'POST', `${room(roomId)}/join`, {});
    });

    it('hides the ignored user\'s messages from /sync and /messages but keeps their state events', async function () {
      expect((await ignore(bob, [carol])).status).to.equal(200);
      const since = (await sync(bob)).json.next_batch;
      const aliceSince = (await sync(alice)).json.next_batch;
      await api(carol, 'PUT', `${room(roomId)}/send/m.room.message/c1`, { msgtype: 'm.text', body: 'from carol' });
      await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/a1`, { msgtype: 'm.text', body: 'from alice' });
      await api(alice, 'PUT', `${room(roomId)}/state/m.room.power_levels`, {
        users: { [carol.userId]: 50 }, state_default: 50, events_default: 0, users_default: 0,
      });
      await api(carol, 'PUT', `${room(roomId)}/state/m.room.topic`, { topic: 'set by carol' });

      expect(timelineBodies(await sync(bob, { since }), roomId)).to.include.members(['from alice', 'topic:set by carol']).and.not.include('from carol');
      expect(timelineBodies(await sync(alice, { since: aliceSince }), roomId)).to.include.members(['from alice', 'from carol']);
      const messages = await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=20`);
      const bodies = messages.json.chunk.map((e: { content: { body?: string } }) => e.content.body).filter(Boolean);
      expect(bodies).to.include('from alice').and.not.include('from carol');
    });

    it('does not send invites from an ignored user', async function () {
      const since = (await sync(bob)).json.next_batch;
      const carolsRoom = (await api(carol, 'POST', '/createRoom', { invite: [bob.userId] })).json.room_id;
      const alicesRoom = (await api(alice, 'POST', '/createRoom', { invite: [bob.userId] })).json.room_id;
      const invites = (await sync(bob, { since })).json.rooms?.invite ?? {};
      expect(Object.keys(invites)).to.include(alicesRoom).and.not.include(carolsRoom);
    });

    it('takes effect at once when the list changes, and un-ignoring resumes delivery', async function () {
      await ignore(bob, []);
      const since = (await sync(bob)).json.next_batch;
      await api(carol, 'PUT', `${room(roomId)}/send/m.room.message/c2`, { msgtype: 'm.text', body: 'carol again' });
      expect(timelineBodies(await sync(bob, { since }), roomId)).to.include('carol again');
      await ignore(bob, [carol]);
      const next = (await sync(bob)).json.next_batch;
      await api(carol, 'PUT', `${room(roomId)}/send/m.room.message/c3`, { msgtype: 'm.text', body: 'ignored once more' });
      await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/a2`, { msgtype: 'm.text', body: 'alice once more' });
      const bodies = timelineBodies(await sync(bob, { since: next }), roomId);
      expect(bodies).to.include('alice once more').and.not.include('ignored once more');
    });
  });
}
