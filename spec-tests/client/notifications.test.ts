import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Push Notifications": unread counts and /notifications on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'notifications.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let txn = 0;
    const send = async (user: TestUser, roomId: string, content: object): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/m.room.message/t${++txn}`, { msgtype: 'm.text', ...content });
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const sync = (user: TestUser, params: { since?: string; filter?: object } = {}) =>
      api(user, 'GET', `/sync?${new URLSearchParams({ ...(params.since ? { since: params.since } : {}), ...(params.filter ? { filter: JSON.stringify(params.filter) } : {}) })}`);
    const countsOf = async (user: TestUser, roomId: string, params: { since?: string; filter?: object } = {}) => (await sync(user, params)).json.rooms?.join?.[roomId];
    const receipt = (user: TestUser, roomId: string, eventId: string, body: object = {}, type = 'm.read') =>
      api(user, 'POST', `${room(roomId)}/receipt/${type}/${encodeURIComponent(eventId)}`, body);
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    /** A room of alice (creator, power 100), bob and carol: three members, so not one-to-one. */
    const newRoom = async (): Promise<string> => {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      await api(carol, 'POST', `${room(roomId)}/join`, {});
      return roomId;
    };

    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      carol = await registerUser(server(), 'carol');
    });

    it('"Receiving notifications": a message raises the other members\' notification_count in the sync with the event, not the sender\'s', async function () {
      const roomId = await newRoom();
      const initial = await countsOf(bob, roomId);
      expect(initial.unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      const since = (await sync(bob)).json.next_batch;
      const eventId = await send(alice, roomId, { body: 'hello' });
      const next = await countsOf(bob, roomId, { since });
      expect(next.timeline.events.map((e: { event_id: string }) => e.event_id)).to.include(eventId);
      expect(next.unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 0 });
      expect((await countsOf(alice, roomId)).unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      // Membership changes (bob and carol joining) never notified anyone.
      expect((await countsOf(carol, roomId)).unread_notifications.notification_count).to.equal(1);
    });

    it('".m.rule.is_user_mention": a message whose m.mentions lists the user raises highlight_count; notices do not count', async function () {
      const roomId = await newRoom();
      await send(alice, roomId, { body: 'bob: look', 'm.mentions': { user_ids: [bob.userId] } });
      await send(alice, roomId, { msgtype: 'm.notice', body: 'a bot notice' });
      expect((await countsOf(bob, roomId)).unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 1 });
      expect((await countsOf(carol, roomId)).unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 0 });
    });

    it('".m.rule.is_room_mention": @room highlights when the sender has notifications.room power, not otherwise', async function () {
      const roomId = await newRoom();
      await send(bob, roomId, { body: '@room from bob', 'm.mentions': { room: true } });
      expect((await countsOf(carol, roomId)).unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 0 });
      await send(alice, roomId, { body: '@room from alice', 'm.mentions': { room: true } });
      expect((await countsOf(carol, roomId)).unread_notifications).to.deep.equal({ notification_count: 2, highlight_count: 1 });
    });

    it('"Marking notifications as read": a read receipt resets the counts, and the room comes down the next incremental sync', async function () {
      const roomId = await newRoom();
      await send(alice, roomId, { body: 'one' });
      const last = await send(alice, roomId, { body: 'two', 'm.mentions': { user_ids: [bob.userId] } });
      const before = await sync(bob);
      expect(before.json.rooms.join[roomId].unread_notifications).to.deep.equal({ notification_count: 2, highlight_count: 1 });
      expect((await receipt(bob, roomId, last)).status).to.equal(200);
      const after = await countsOf(bob, roomId, { since: before.json.next_batch });
      expect(after, 'the room is in the sync after the receipt').to.not.equal(undefined);
      expect(after.unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
    });

    it('"Private read receipts": m.read.private clears notifications too; the receipt furthest ahead counts', async function () {
      const roomId = await newRoom();
      const first = await send(alice, roomId, { body: 'one' });
      const second = await send(alice, roomId, { body: 'two' });
      await receipt(bob, roomId, second, {}, 'm.read.private');
      expect((await countsOf(bob, roomId)).unread_notifications.notification_count).to.equal(0);
      // A public receipt behind the private one does not rewind the counts.
      await receipt(bob, roomId, first);
      expect((await countsOf(bob, roomId)).unread_notifications.notification_count).to.equal(0);
    });

    it('"Marking notifications as read": sending an event marks what came before it as read for the sender', async function () {
      const roomId = await newRoom();
      await send(alice, roomId, { body: 'question?' });
      expect((await countsOf(bob, roomId)).unread_notifications.notification_count).to.equal(1);
      await send(bob, roomId, { body: 'answer' });
      expect((await countsOf(bob, roomId)).unread_notifications.notification_count).to.equal(0);
    });

    it('"Push Rules": a user override with dont_notify stops counting; deleting it restores the default', async function () {
      const roomId = await newRoom();
      const rule = { actions: ['dont_notify'], conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }] };
      expect((await api(bob, 'PUT', '/pushrules/global/override/mute-room', rule)).status).to.equal(200);
      await send(alice, roomId, { body: 'muted', 'm.mentions': { user_ids: [bob.userId] } });
      expect((await countsOf(bob, roomId)).unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      expect((await countsOf(carol, roomId)).unread_notifications.notification_count).to.equal(1);
      await api(bob, 'DELETE', '/pushrules/global/override/mute-room');
      await send(alice, roomId, { body: 'heard' });
      expect((await countsOf(bob, roomId)).unread_notifications).to.deep.equal({ notification_count: 1, highlight_count: 0 });
    });

    it('".m.rule.master": enabling it silences everything for that user', async function () {
      const roomId = await newRoom();
      await api(carol, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', { enabled: true });
      await send(alice, roomId, { body: 'anyone?', 'm.mentions': { user_ids: [carol.userId] } });
      expect((await countsOf(carol, roomId)).unread_notifications).to.deep.equal({ notification_count: 0, highlight_count: 0 });
      await api(carol, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', { enabled: false });
    });

    it('"Threaded read receipts": with unread_thread_notifications, threads count apart from the main timeline', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'thread root' });
      const inThread = (body: string, mention = false) => send(alice, roomId, { body, 'm.relates_to': { rel_type: 'm.thread', event_id: root }, ...(mention ? { 'm.mentions': { user_ids: [bob.userId] } } : {}) });
      await inThread('reply 1');
      const reply2 = await inThread('reply 2', true);
      await send(alice, roomId, { body: 'main again' });
      const threaded = { room: { timeline: { unread_thread_notifications: true } } };
      const counted = await countsOf(bob, roomId, { filter: threaded });
      expect(counted.unread_notifications).to.deep.equal({ notification_count: 2, highlight_count: 0 });
      expect(counted.unread_thread_notifications).to.deep.equal({ [root]: { notification_count: 2, highlight_count: 1 } });
      // Without the filter option the threads are part of the room's count.
      const merged = await countsOf(bob, roomId);
      expect(merged.unread_notifications).to.deep.equal({ notification_count: 4, highlight_count: 1 });
      expect(merged).to.not.have.property('unread_thread_notifications');
      // A threaded receipt reads its thread only.
      expect((await receipt(bob, roomId, reply2, { thread_id: root })).status).to.equal(200);
      const afterThreadReceipt = await countsOf(bob, roomId, { filter: threaded });
      expect(afterThreadReceipt.unread_notifications.notification_count).to.equal(2);
      expect(afterThreadReceipt).to.not.have.property('unread_thread_notifications');
      // An event related to a threaded event (not by m.thread) belongs to that thread: "following the event relationships".
      await send(alice, roomId, { body: 'see reply 2', 'm.relates_to': { rel_type: 'm.reference', event_id: reply2 } });
      const referenced = await countsOf(bob, roomId, { filter: threaded });
      expect(referenced.unread_notifications.notification_count).to.equal(2);
      expect(referenced.unread_thread_notifications).to.deep.equal({ [root]: { notification_count: 1, highlight_count: 0 } });
    });

    it('"Listing Notifications": GET /notifications lists notified events newest first with actions and read flag; only=highlight', async function () {
      const roomId = await newRoom();
      const plain = await send(alice, roomId, { body: 'plain' });
      const mention = await send(alice, roomId, { body: 'hey bob', 'm.mentions': { user_ids: [bob.userId] } });
      const all = await api(bob, 'GET', '/notifications?limit=2');
      expect(all.status).to.equal(200);
      expect(all.json.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).to.deep.equal([mention, plain]);
      const [first] = all.json.notifications;
      expect(first).to.include({ room_id: roomId, read: false });
      expect(first.actions).to.deep.include({ set_tweak: 'highlight' });
      expect(first.event).to.include({ type: 'm.room.message', sender: alice.userId });
      expect(first.event).to.not.have.property('room_id');
      expect(first.ts).to.be.a('number');
      const highlights = await api(bob, 'GET', '/notifications?only=highlight');
      expect(highlights.json.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).to.include(mention).and.not.include(plain);
      // Paging continues from next_token; a receipt marks them read.
      const rest = await api(bob, 'GET', `/notifications?limit=2&from=${all.json.next_token}`);
      expect(rest.json.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).to.not.include(mention);
      await receipt(bob, roomId, mention);
      expect((await api(bob, 'GET', '/notifications?limit=2')).json.notifications.map((n: { read: boolean }) => n.read)).to.deep.equal([true, true]);
      expect((await api(alice, 'GET', '/notifications')).json.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).to.not.include(mention);
    });

    it('".m.rule.invite_for_me": an invite notifies the invited local user, who is not yet a member', async function () {
      const dave = await registerUser(server(), 'dave');
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'private_chat' })).json.room_id;
      expect((await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: dave.userId })).status).to.equal(200);
      const [invite] = (await api(dave, 'GET', '/notifications')).json.notifications;
      expect(invite).to.deep.include({ room_id: roomId, read: false, actions: ['notify', { set_tweak: 'sound', value: 'default' }] });
      expect(invite.event).to.include({ type: 'm.room.member', state_key: dave.userId });
    });

    it('"Listing Notifications": a malformed from token is M_INVALID_PARAM', async function () {
      const response = await api(bob, 'GET', '/notifications?from=abc');
      expect(response.status).to.equal(400);
      expect(response.json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(bob, 'GET', '/notifications?limit=0')).json.errcode).to.equal('M_INVALID_PARAM');
    });
  });
}
