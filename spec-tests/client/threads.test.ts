import { expect } from 'chai';
import { Direction, Thread, ThreadFilterType, type MatrixClient } from 'matrix-js-sdk';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

type Json = Record<string, any>;

for (const engine of testEngines) {
  describe(`client-server-api "Threading" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'threads.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const v1 = (user: TestUser, path: string) => rawRequest(server().baseUrl, `/_matrix/client/v1${path}`, { accessToken: user.accessToken });
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let txn = 0;
    const send = async (user: TestUser, roomId: string, content: object): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/m.room.message/t${++txn}`, { msgtype: 'm.text', ...content });
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const reply = (user: TestUser, roomId: string, root: string, body: string, extra: object = {}) => send(user, roomId, { body, 'm.relates_to': { rel_type: 'm.thread', event_id: root }, ...extra });
    const redact = async (user: TestUser, roomId: string, eventId: string) => {
      expect((await api(user, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(eventId)}/x${++txn}`, {})).status).to.equal(200);
    };
    const getEvent = async (user: TestUser, roomId: string, eventId: string) => (await api(user, 'GET', `${room(roomId)}/event/${encodeURIComponent(eventId)}`)).json;
    const threadOf = (event: Json) => event.unsigned?.['m.relations']?.['m.thread'];
    const threads = async (user: TestUser, roomId: string, query: Record<string, string> = {}) => {
      const response = await v1(user, `${room(roomId)}/threads?${new URLSearchParams(query)}`);
      expect(response.status, response.text).to.equal(200);
      return response.json as { chunk: Json[]; next_batch?: string };
    };
    const ignore = (user: TestUser, ignored: string[]) =>
      api(user, 'PUT', `/user/${encodeURIComponent(user.userId)}/account_data/m.ignored_user_list`, { ignored_users: Object.fromEntries(ignored.map((id) => [id, {}])) });
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let bobClient: MatrixClient;
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
      bobClient = await createTestClient(server(), { userId: bob.userId, accessToken: bob.accessToken });
    });

    it('"Server-side aggregation of m.thread relationships": latest_event, count and current_user_participated', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      await reply(bob, roomId, root, 'first');
      const latest = await reply(carol, roomId, root, 'second');

      const forAlice = threadOf(await getEvent(alice, roomId, root));
      expect(forAlice.count).to.equal(2);
      expect(forAlice.current_user_participated, 'the root\'s sender participates').to.equal(true);
      expect(forAlice.latest_event).to.include({ event_id: latest, sender: carol.userId, room_id: roomId, type: 'm.room.message' });
      expect(forAlice.latest_event.content.body).to.equal('second');
      expect(threadOf(await getEvent(bob, roomId, root)).current_user_participated).to.equal(true);
      const outsider = await registerUser(server(), `dave${engine}`);
      await api(outsider, 'POST', `${room(roomId)}/join`, {});
      expect(threadOf(await getEvent(outsider, roomId, root)).current_user_participated).to.equal(false);

      // In /messages and /sync too; in /sync the latest event is served as the root is, without room_id.
      const messages = (await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=20`)).json.chunk as Json[];
      expect(threadOf(messages.find((event) => event.event_id === root)!).count).to.equal(2);
      // A thread reply is no thread root.
      expect(messages.find((event) => event.event_id === latest)!.unsigned).to.not.have.property('m.relations');
      const sync = (await api(bob, 'GET', '/sync')).json;
      const synced = (sync.rooms.join[roomId].timeline.events as Json[]).find((event) => event.event_id === root)!;
      expect(threadOf(synced).latest_event.event_id).to.equal(latest);
      expect(threadOf(synced).latest_event).to.not.have.property('room_id');
    });

    it('the latest event carries its own aggregations (an edit of it), and redacting replies updates the thread', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      const first = await reply(bob, roomId, root, 'first');
      const second = await reply(bob, roomId, root, 'second');
      const editOfSecond = await send(bob, roomId, { body: '* second!', 'm.new_content': { msgtype: 'm.text', body: 'second!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: second } });
      const thread = threadOf(await getEvent(alice, roomId, root));
      expect(thread.latest_event.event_id).to.equal(second);
      expect(thread.latest_event.unsigned['m.relations']['m.replace'].event_id).to.equal(editOfSecond);
      // The edit is in the thread too, but it is no m.thread reply: it does not count.
      expect(thread.count).to.equal(2);

      await redact(bob, roomId, second);
      const after = threadOf(await getEvent(alice, roomId, root));
      expect(after.latest_event.event_id).to.equal(first);
      expect(after.count).to.equal(1);
      await redact(bob, roomId, first);
      expect((await getEvent(alice, roomId, root)).unsigned).to.not.have.property('m.relations');
      expect((await threads(alice, roomId)).chunk).to.deep.equal([]);
    });

    it('"Querying threads in a room": roots by latest activity, include=participated, paginated', async function () {
      const roomId = await newRoom();
      const byAlice = await send(alice, roomId, { body: 'alice\'s thread' });
      const byCarol = await send(carol, roomId, { body: 'carol\'s thread' });
      const quiet = await send(carol, roomId, { body: 'quiet thread' });
      await reply(carol, roomId, quiet, 'only reply');
      await reply(carol, roomId, byAlice, 'carol in alice\'s');
      await reply(bob, roomId, byCarol, 'bob in carol\'s');
      await reply(alice, roomId, byAlice, 'alice again');
      await send(alice, roomId, { body: 'not a thread' });

      const all = await threads(bob, roomId, { limit: '10' });
      expect(all.chunk.map((event) => event.event_id)).to.deep.equal([byAlice, byCarol, quiet]);
      expect(all).to.not.have.property('next_batch');
      expect(threadOf(all.chunk[0]!)).to.include({ count: 2, current_user_participated: false });
      expect((await threads(bob, roomId, { include: 'participated' })).chunk.map((event) => event.event_id)).to.deep.equal([byCarol]);
      expect((await threads(alice, roomId, { include: 'participated' })).chunk.map((event) => event.event_id)).to.deep.equal([byAlice]);

      const page = await threads(bob, roomId, { limit: '2' });
      expect(page.chunk.map((event) => event.event_id)).to.deep.equal([byAlice, byCarol]);
      expect((await threads(bob, roomId, { limit: '2', from: page.next_batch! })).chunk.map((event) => event.event_id)).to.deep.equal([quiet]);

      // The SDK's thread list request reads the same, on the stable API once /versions says v1.4 (as startClient does).
      Thread.setServerSideListSupport((await bobClient.doesServerSupportThread()).list);
      const viaSdk = await bobClient.createThreadListMessagesRequest(roomId, null, 10, Direction.Backward, ThreadFilterType.All);
      expect(viaSdk.chunk.map((event) => event.event_id), 'the SDK turns the page oldest first').to.deep.equal([quiet, byCarol, byAlice]);

      const zero = await v1(bob, `${room(roomId)}/threads?limit=0`);
      expect(zero.status).to.equal(400);
      expect(zero.json.errcode).to.equal('M_INVALID_PARAM');
      const stranger = await registerUser(server(), `eve${engine}`);
      const forbidden = await v1(stranger, `${room(roomId)}/threads`);
      expect(forbidden.status).to.equal(403);
    });

    it('ignored users: their replies do not count, and their thread roots come back redacted', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      const fromBob = await reply(bob, roomId, root, 'from bob');
      await reply(carol, roomId, root, 'from carol');
      const carolsRoot = await send(carol, roomId, { body: 'carol\'s secret' });
      await reply(alice, roomId, carolsRoot, 'reply to carol');
      expect((await ignore(alice, [carol.userId])).status).to.equal(200);

      const thread = threadOf(await getEvent(alice, roomId, root));
      expect(thread.count).to.equal(1);
      expect(thread.latest_event.event_id).to.equal(fromBob);
      const listed = await threads(alice, roomId);
      const redacted = listed.chunk.find((event) => event.event_id === carolsRoot)!;
      expect(redacted.content).to.deep.equal({});
      expect(threadOf(redacted).count).to.equal(1);
      expect(threadOf(await getEvent(bob, roomId, root)).count, 'others still count carol').to.equal(2);
      await ignore(alice, []);
    });

    it('"Threaded read receipts": unread_thread_notifications counts each thread apart when the filter asks', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      const last = await reply(alice, roomId, root, 'in thread');
      await send(alice, roomId, { body: 'main timeline' });
      const filter = JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } });
      const joined = (await api(bob, 'GET', `/sync?filter=${encodeURIComponent(filter)}`)).json.rooms.join[roomId];
      expect(joined.unread_notifications.notification_count).to.equal(2);
      expect(joined.unread_thread_notifications).to.deep.equal({ [root]: { notification_count: 1, highlight_count: 0 } });
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(last)}`, { thread_id: root })).status).to.equal(200);
      const after = (await api(bob, 'GET', `/sync?filter=${encodeURIComponent(filter)}`)).json.rooms.join[roomId];
      expect(after).to.not.have.property('unread_thread_notifications');
      expect(after.unread_notifications.notification_count).to.equal(2);
    });
  });
}
