import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, type RawResponse } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api typing, receipts and read markers on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'ephemeral.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const sync = (user: TestUser, params: Record<string, string> = {}) => api(user, 'GET', `/sync?${new URLSearchParams(params)}`);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const ephemeralOf = (response: RawResponse, roomId: string, type: string) =>
      response.json.rooms?.join?.[roomId]?.ephemeral.events.find((e: { type: string }) => e.type === type);
    let alice: TestUser;
    let bob: TestUser;
    let roomId: string;
    let messageId: string;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      messageId = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'read me' })).json.event_id;
    });

    it('"Typing Notifications": typing reaches the other member, stops on request and expires on timeout', async function () {
      const since = (await sync(bob)).json.next_batch;
      expect((await api(alice, 'PUT', `${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 30000 })).status).to.equal(200);
      const typing = await sync(bob, { since });
      expect(ephemeralOf(typing, roomId, 'm.typing').content.user_ids).to.deep.equal([alice.userId]);
      await api(alice, 'PUT', `${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { typing: false });
      const stopped = await sync(bob, { since: typing.json.next_batch });
      expect(ephemeralOf(stopped, roomId, 'm.typing').content.user_ids).to.deep.equal([]);
      // A short timeout expires by itself and wakes the long poll.
      await api(alice, 'PUT', `${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 300 });
      const started = (await sync(bob, { since: stopped.json.next_batch })).json.next_batch;
      const expired = await sync(bob, { since: started, timeout: '5000' });
      expect(ephemeralOf(expired, roomId, 'm.typing').content.user_ids).to.deep.equal([]);
    });

    it('refuses typing for another user or in a room one is not in', async function () {
      expect((await api(bob, 'PUT', `${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true })).json.errcode).to.equal('M_FORBIDDEN');
      const other = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      expect((await api(bob, 'PUT', `${room(other)}/typing/${encodeURIComponent(bob.userId)}`, { typing: true })).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"Receipts": a public read receipt reaches others; a private one only its owner', async function () {
      const since = (await sync(alice)).json.next_batch;
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(messageId)}`, {})).status).to.equal(200);
      const seen = await sync(alice, { since });
      const receipt = ephemeralOf(seen, roomId, 'm.receipt');
      expect(receipt.content[messageId]['m.read'][bob.userId].ts).to.be.a('number');

      const bobSince = (await sync(bob)).json.next_batch;
      await api(bob, 'POST', `${room(roomId)}/receipt/m.read.private/${encodeURIComponent(messageId)}`, {});
      expect(ephemeralOf(await sync(bob, { since: bobSince }), roomId, 'm.receipt').content[messageId]['m.read.private'][bob.userId]).to.be.an('object');
      const aliceAfter = await sync(alice, { since: seen.json.next_batch });
      expect(ephemeralOf(aliceAfter, roomId, 'm.receipt')).to.equal(undefined);
    });

    it('"Threaded read receipts" carry their thread_id; an unknown thread root is refused', async function () {
      await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(messageId)}`, { thread_id: messageId });
      const receipt = ephemeralOf(await sync(alice), roomId, 'm.receipt');
      expect(receipt.content[messageId]['m.read'][bob.userId].thread_id).to.equal(messageId);
      const bad = await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(messageId)}`, { thread_id: '$nope' });
      expect(bad.json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('"Fully read markers": read_markers stores m.fully_read as room account data, also via the receipt endpoint', async function () {
      expect((await api(bob, 'POST', `${room(roomId)}/read_markers`, { 'm.fully_read': messageId, 'm.read': messageId })).status).to.equal(200);
      const marker = await api(bob, 'GET', `/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/m.fully_read`);
      expect(marker.json).to.deep.equal({ event_id: messageId });
      const synced = await sync(bob);
      expect(synced.json.rooms.join[roomId].account_data.events).to.deep.include({ type: 'm.fully_read', content: { event_id: messageId } });
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.fully_read/${encodeURIComponent(messageId)}`, {})).status).to.equal(200);
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.unknown/${encodeURIComponent(messageId)}`, {})).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent('$missing')}`, {})).json.errcode).to.equal('M_NOT_FOUND');
    });
  });
}
