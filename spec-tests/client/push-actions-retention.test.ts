/**
 * client-server-api "Push Notifications": the server does not keep every push action for ever (as
 * Synapse, a month): once an event is that old, its notification goes from GET /notifications if it
 * was read, while unread counts (which need the unread ones and the read points) stay as they were.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually } from '../harness/federation.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientCall } from '../harness/requests.ts';

const day = 24 * 3_600_000;

for (const engine of testEngines) {
  describe(`push actions older than a month are pruned, unread counts unchanged, on ${engine}`, function () {
    let now = Date.now();
    const clock = () => now;
    let server: TestHomeserver;
    after(() => server?.stop());

    it('read notifications of month-old events go from /notifications; recent and unread ones, and the counts, stay', async function () {
      server = await startTestHomeserver({ engine, clock, config: { enable_registration: true } });
      const [alice, bob, carol] = [await registerUser(server, 'alice'), await registerUser(server, 'bob'), await registerUser(server, 'carol')];
      const call = (user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: object) => clientCall(server, user, method, path, body);
      const roomId = (await call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
      for (const user of [bob, carol]) expect((await call(user, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).status).to.equal(200);
      let txn = 0;
      const send = async (user: TestUser, body: string) => (await call(user, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/r${++txn}`, { msgtype: 'm.text', body })).json.event_id as string;
      const notifications = async (user: TestUser) => ((await call(user, 'GET', '/notifications?limit=50')).json.notifications as Array<{ event: { content: { body: string } } }>).map((n) => n.event.content.body);
      const unread = async (user: TestUser) => (await call(user, 'GET', '/sync?timeout=0')).json.rooms.join[roomId].unread_notifications;

      await send(alice, 'old 1');
      const read = await send(alice, 'old 2');
      await send(bob, 'bob speaks');
      await send(alice, 'old 3');
      // bob read up to "old 2" by receipt; "old 3" is unread. carol read nothing.
      expect((await call(bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(read)}`, {})).status).to.equal(200);
      now += 31 * day;
      const recent = await send(alice, 'new 4');
      await send(alice, 'new 5');
      // bob has read "new 4" now too (so "old 3" as well), but it is recent: it stays.
      expect((await call(bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(recent)}`, {})).status).to.equal(200);
      const before = { bob: await unread(bob), carol: await unread(carol) };
      expect(before.bob.notification_count).to.equal(1);
      expect(await notifications(bob)).to.deep.equal(['new 5', 'new 4', 'old 3', 'old 2', 'old 1']);
      const carolsBefore = await notifications(carol);
      expect(carolsBefore).to.deep.equal(['new 5', 'new 4', 'old 3', 'bob speaks', 'old 2', 'old 1']);

      // A restart prunes at once (and then every hour).
      await server.stop({ keepData: true });
      server = await startTestHomeserver({ reuse: server, clock, config: { enable_registration: true } });
      await eventually(async () => (await notifications(bob)).length === 2, 10_000, 'the pruning of bob\'s read notifications');
      expect(await notifications(bob)).to.deep.equal(['new 5', 'new 4']);
      // carol read nothing: all of hers stay.
      expect(await notifications(carol)).to.deep.equal(carolsBefore);
      expect({ bob: await unread(bob), carol: await unread(carol) }).to.deep.equal(before);
    });
  });
}
