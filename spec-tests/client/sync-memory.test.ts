/**
 * /sync answers a busy room's incremental syncs from memory (the room's newest events, each member's
 * unread counts, which events were redacted); these tests reach past what memory holds, across a
 * restart, and through the changes that must update it, and expect what storage says.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Syncing": incremental syncs served from memory agree with storage on ${engine}`, function () {
    let server: TestHomeserver;
    const api = clientApi(() => server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let txn = 0;
    const send = async (user: TestUser, roomId: string, content: object): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/m.room.message/m${++txn}`, { msgtype: 'm.text', ...content });
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const sync = (user: TestUser, params: { since?: string; limit?: number } = {}) =>
      api(user, 'GET', `/sync?${new URLSearchParams({ ...(params.since ? { since: params.since } : {}), filter: JSON.stringify({ room: { timeline: { limit: params.limit ?? 10 } } }) })}`);
    const bodies = (section: { timeline: { events: Array<{ content: { body?: string } }> } } | undefined) => section?.timeline.events.map((e) => e.content.body);
    let alice: TestUser;
    let bob: TestUser;

    before(async function () {
      server = await startTestHomeserver({ serverName: 'syncmemory.test', engine, config: { enable_registration: true } });
      alice = await registerUser(server, 'alice');
      bob = await registerUser(server, 'bob');
    });
    after(() => server.stop());

    const newRoom = async (): Promise<string> => {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      return roomId;
    };

    it('a token older than the newest events kept per room still gets every event after it, in order', async function () {
      const roomId = await newRoom();
      const since = (await sync(bob)).json.next_batch;
      const sent: string[] = [];
      for (let i = 0; i < 70; i++) {
        await send(alice, roomId, { body: `m${i}` });
        sent.push(`m${i}`);
      }
      const all = await sync(bob, { since, limit: 100 });
      expect(bodies(all.json.rooms.join[roomId])).to.deep.equal(sent);
      expect(all.json.rooms.join[roomId].timeline.limited).to.equal(false);
      const last = await sync(bob, { since, limit: 5 });
      expect(bodies(last.json.rooms.join[roomId])).to.deep.equal(sent.slice(-5));
      expect(last.json.rooms.join[roomId].timeline.limited).to.equal(true);
      // One more: served from the newest events, after a token issued just now.
      await send(alice, roomId, { body: 'one more' });
      expect(bodies((await sync(bob, { since: all.json.next_batch })).json.rooms.join[roomId])).to.deep.equal(['one more']);
    });

    it('"Unread Notification Counts" follow each message, a receipt, and the user\'s own message across incremental syncs', async function () {
      const roomId = await newRoom();
      let since = (await sync(bob)).json.next_batch;
      const countsAfter = async () => {
        const response = await sync(bob, { since });
        since = response.json.next_batch;
        return response.json.rooms?.join?.[roomId]?.unread_notifications;
      };
      await send(alice, roomId, { body: 'one' });
      expect(await countsAfter()).to.deep.equal({ notification_count: 1, highlight_count: 0 });
      const second = await send(alice, roomId, { body: 'two' });
      expect(await countsAfter()).to.deep.equal({ notification_count: 2, highlight_count: 0 });
      await send(alice, roomId, { body: 'bob, three', 'm.mentions': { user_ids: [bob.userId] } });
      expect(await countsAfter()).to.deep.equal({ notification_count: 3, highlight_count: 1 });
      // A receipt on the second message leaves the third unread.
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(second)}`, {})).status).to.equal(200);
      expect(await countsAfter()).to.deep.equal({ notification_count: 1, highlight_count: 1 });
      await send(alice, roomId, { body: 'four' });
      expect(await countsAfter()).to.deep.equal({ notification_count: 2, highlight_count: 1 });
      // Bob's own message marks everything before it as read.
      await send(bob, roomId, { body: 'read them' });
      expect(await countsAfter()).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      const five = await send(alice, roomId, { body: 'five' });
      expect(await countsAfter()).to.deep.equal({ notification_count: 1, highlight_count: 0 });
      // A redacted message no longer counts (and the counts held for bob follow).
      expect((await api(alice, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(five)}/unsend-five`, {})).status).to.equal(200);
      expect(await countsAfter()).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      expect((await sync(bob)).json.rooms.join[roomId].unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
    });

    it('"Redactions": an event served before its redaction is served redacted after it', async function () {
      const roomId = await newRoom();
      let since = (await sync(bob)).json.next_batch;
      const eventId = await send(alice, roomId, { body: 'secret' });
      const before = await sync(bob, { since });
      since = before.json.next_batch;
      expect(bodies(before.json.rooms.join[roomId])).to.deep.equal(['secret']);
      expect((await api(bob, 'GET', `${room(roomId)}/event/${encodeURIComponent(eventId)}`)).json.content.body).to.equal('secret');
      const redaction = await api(alice, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(eventId)}/r1`, {});
      expect(redaction.status).to.equal(200);
      const event = await api(bob, 'GET', `${room(roomId)}/event/${encodeURIComponent(eventId)}`);
      expect(event.json.content).to.deep.equal({});
      expect(event.json.unsigned.redacted_because.event_id).to.equal(redaction.json.event_id);
      const context = await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=2`);
      const redacted = context.json.chunk.find((e: { event_id: string }) => e.event_id === eventId);
      expect(redacted.content).to.deep.equal({});
    });

    it('/joined_rooms and the sync\'s sections follow joins and leaves of a user whose rooms were read before', async function () {
      const roomId = await newRoom();
      expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.include(roomId);
      const since = (await sync(bob)).json.next_batch;
      expect((await api(bob, 'POST', `${room(roomId)}/leave`, {})).status).to.equal(200);
      expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.not.include(roomId);
      const left = await sync(bob, { since });
      expect(left.json.rooms.leave).to.have.property(roomId);
      expect(left.json.rooms.join?.[roomId]).to.equal(undefined);
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.include(roomId);
      const summary = (await sync(alice)).json.rooms.join[roomId].summary;
      expect(summary['m.joined_member_count']).to.equal(2);
    });

    it('"Transaction identifiers": a retry after a restart gets the first event, and sends committed beside it are kept', async function () {
      const roomId = await newRoom();
      const first = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/retry-me`, { msgtype: 'm.text', body: 'once' });
      expect(first.status).to.equal(200);
      await server.stop({ keepData: true });
      server = await startTestHomeserver({ reuse: server, engine, config: { enable_registration: true } });
      // The retry and other sends arrive together, so they are written in one batch.
      const [retry, ...others] = await Promise.all([
        api(alice, 'PUT', `${room(roomId)}/send/m.room.message/retry-me`, { msgtype: 'm.text', body: 'once' }),
        ...Array.from({ length: 5 }, (_, i) => api(i % 2 ? alice : bob, 'PUT', `${room(roomId)}/send/m.room.message/beside-${i}`, { msgtype: 'm.text', body: `beside ${i}` })),
      ]);
      expect(retry!.status).to.equal(200);
      expect(retry!.json.event_id).to.equal(first.json.event_id);
      expect(others.map((answer) => answer.status)).to.deep.equal([200, 200, 200, 200, 200]);
      const messages = (await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=50`)).json.chunk.map((event: { content: { body?: string } }) => event.content.body);
      expect(messages.filter((body: string | undefined) => body === 'once')).to.have.length(1);
      expect(messages.filter((body: string | undefined) => body?.startsWith('beside'))).to.have.length(5);
      // Asked again, the retry is answered without sending.
      expect((await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/retry-me`, { msgtype: 'm.text', body: 'once' })).json.event_id).to.equal(first.json.event_id);
    });

    it('after a restart, a token issued before it gets the events sent before it', async function () {
      const roomId = await newRoom();
      const since = (await sync(bob)).json.next_batch;
      await send(alice, roomId, { body: 'before the restart' });
      await server.stop({ keepData: true });
      server = await startTestHomeserver({ reuse: server, engine, config: { enable_registration: true } });
      const response = await sync(bob, { since });
      expect(bodies(response.json.rooms.join[roomId])).to.deep.equal(['before the restart']);
      expect(response.json.rooms.join[roomId].unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 0 });
      await send(alice, roomId, { body: 'after the restart' });
      expect(bodies((await sync(bob, { since: response.json.next_batch })).json.rooms.join[roomId])).to.deep.equal(['after the restart']);
    });
  });
}
