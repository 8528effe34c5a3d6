import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';

type PresenceEvent = { type: string; sender: string; content: { presence: string; status_msg?: string; currently_active?: boolean; last_active_ago?: number } };

for (const engine of testEngines) {
  describe(`client-server-api "Presence" on ${engine}`, function () {
    this.timeout(30_000);
    // Tests move this server's clock forward to reach the idle and offline timeouts.
    let clockOffset = 0;
    const server = useTestHomeserver({ serverName: 'presence.test', engine, config: { enable_registration: true }, clock: () => Date.now() + clockOffset });
    const api = clientApi(server);
    const sync = (user: TestUser, params: Record<string, string> = {}) => api(user, 'GET', `/sync?${new URLSearchParams(params)}`);
    const status = (user: TestUser, of: TestUser) => api(user, 'GET', `/presence/${encodeURIComponent(of.userId)}/status`);
    const presenceOf = (response: RawResponse, userId: string): PresenceEvent | undefined =>
      (response.json.presence?.events as PresenceEvent[] | undefined)?.filter((e) => e.sender === userId).at(-1);
    /** Long-polls until a presence event of `userId` matching `predicate` arrives. */
    async function waitForPresence(user: TestUser, since: string, userId: string, predicate: (e: PresenceEvent) => boolean): Promise<PresenceEvent> {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const response = await sync(user, { since, timeout: '2000', set_presence: 'offline' });
        const event = presenceOf(response, userId);
        if (event && predicate(event)) return event;
        since = response.json.next_batch;
      }
      throw new Error(`no matching presence of ${userId}`);
    }

    let alice: TestUser;
    let bob: TestUser;
    let stranger: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      stranger = await registerUser(server(), 'stranger');
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/join`, {});
    });

    it('"PUT /presence/{userId}/status": sets a status that room-mates see in GET and in /sync', async function () {
      const since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      expect((await api(bob, 'PUT', `/presence/${encodeURIComponent(bob.userId)}/status`, { presence: 'unavailable', status_msg: 'in a meeting' })).status).to.equal(200);
      const got = await status(alice, bob);
      expect(got.status).to.equal(200);
      expect(got.json).to.include({ presence: 'unavailable', status_msg: 'in a meeting' });
      expect(got.json.last_active_ago).to.be.a('number');
      const event = await waitForPresence(alice, since, bob.userId, (e) => e.content.presence === 'unavailable');
      expect(event.type).to.equal('m.presence');
      expect(event.content.status_msg).to.equal('in a meeting');
    });

    it('"GET /sync" set_presence: a syncing user comes online, and an initial sync carries room-mates\' presence', async function () {
      const since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      await api(bob, 'PUT', `/presence/${encodeURIComponent(bob.userId)}/status`, { presence: 'offline' });
      await sync(bob);
      const online = await waitForPresence(alice, since, bob.userId, (e) => e.content.presence === 'online');
      expect(online.content.currently_active).to.equal(true);
      expect(presenceOf(await sync(alice, { set_presence: 'offline' }), bob.userId)?.content.presence).to.equal('online');
      // The stranger shares no room with bob: no presence of bob, and GET is forbidden.
      expect(presenceOf(await sync(stranger, { set_presence: 'offline' }), bob.userId)).to.equal(undefined);
      expect((await status(stranger, bob)).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"Idle timeout" and offline: a user who stops syncing goes offline; one idle while syncing becomes unavailable', async function () {
      await sync(bob);
      let since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      // Bob keeps a long poll open while the clock passes the 5-minute idle threshold.
      const bobPoll = sync(bob, { since: (await sync(bob)).json.next_batch, timeout: '12000' });
      clockOffset += 6 * 60_000;
      const idle = await waitForPresence(alice, since, bob.userId, (e) => e.content.presence === 'unavailable');
      expect(idle.content.last_active_ago).to.be.greaterThan(5 * 60_000);
      await bobPoll;
      since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      clockOffset += 60_000;
      await waitForPresence(alice, since, bob.userId, (e) => e.content.presence === 'offline');
      // Sending a message is activity: bob is online again.
      since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      const roomId = (await api(bob, 'GET', '/joined_rooms')).json.joined_rooms[0];
      await api(bob, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/active1`, { msgtype: 'm.text', body: 'back' });
      await waitForPresence(alice, since, bob.userId, (e) => e.content.presence === 'online' && e.content.currently_active === true);
    });

    it('"Presence" is shared with users who newly share a room, with the presence they had before', async function () {
      const carol = await registerUser(server(), 'carol');
      await api(carol, 'PUT', `/presence/${encodeURIComponent(carol.userId)}/status`, { presence: 'unavailable', status_msg: 'away for lunch' });
      const since = (await sync(alice, { set_presence: 'offline' })).json.next_batch;
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(carol, 'POST', `/rooms/${encodeURIComponent(roomId)}/join`, {});
      const event = await waitForPresence(alice, since, carol.userId, (e) => e.content.presence === 'unavailable');
      expect(event.content.status_msg).to.equal('away for lunch');
    });

    it('refuses to set another user\'s presence, bad states, and unknown users', async function () {
      expect((await api(alice, 'PUT', `/presence/${encodeURIComponent(bob.userId)}/status`, { presence: 'online' })).json.errcode).to.equal('M_FORBIDDEN');
      const bad = await api(alice, 'PUT', `/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'busy' });
      expect([bad.status, bad.json.errcode]).to.deep.equal([400, 'M_BAD_JSON']);
      expect((await api(alice, 'GET', `/presence/${encodeURIComponent('@nobody:presence.test')}/status`)).json.errcode).to.equal('M_NOT_FOUND');
      expect((await api(alice, 'GET', '/sync?set_presence=away')).json.errcode).to.equal('M_INVALID_PARAM');
    });
  });
}

describe('client-server-api "Presence" turned off (presence.enabled: false)', function () {
  const server = useTestHomeserver({ serverName: 'nopresence.test', config: { enable_registration: true, presence: { enabled: false } } });
  it('accepts a status but reports offline and sends no presence in /sync', async function () {
    const alice = await registerUser(server(), 'alice');
    const put = await rawRequest(server().baseUrl, `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { method: 'PUT', body: { presence: 'online' }, accessToken: alice.accessToken });
    expect(put.status).to.equal(200);
    const get = await rawRequest(server().baseUrl, `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { accessToken: alice.accessToken });
    expect(get.json.presence).to.equal('offline');
    expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/sync', { accessToken: alice.accessToken })).json.presence).to.equal(undefined);
  });
});
