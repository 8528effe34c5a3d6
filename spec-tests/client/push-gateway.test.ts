import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { TestPushGateway, type ReceivedPush } from '../harness/push-gateway.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`push-gateway-api "POST /_matrix/push/v1/notify": delivery to HTTP pushers on ${engine}`, function () {
    let server: TestHomeserver;
    let gateway: TestPushGateway;
    // The test gateway listens on loopback, which ip_range_blacklist refuses by default.
    const start = (reuse?: TestHomeserver) => startTestHomeserver({ engine, reuse, config: { enable_registration: true, ip_range_whitelist: ['127.0.0.1'] } });
    const api = (user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: object) =>
      rawRequest(server.baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: user.accessToken });
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let counter = 0;

    /** A new user, with a display name. */
    const newUser = async (name: string): Promise<TestUser> => {
      const user = await registerUser(server, `${name.toLowerCase()}${++counter}`);
      await api(user, 'PUT', `/profile/${encodeURIComponent(user.userId)}/displayname`, { displayname: name });
      return user;
    };
    /** A room of `creator` and `others`, all joined. */
    const newRoom = async (creator: TestUser, others: TestUser[], options: object = {}): Promise<string> => {
      const roomId = (await api(creator, 'POST', '/createRoom', { preset: 'public_chat', ...options })).json.room_id;
      for (const other of others) expect((await api(other, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      return roomId;
    };
    const send = async (user: TestUser, roomId: string, content: object): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/m.room.message/t${++counter}`, { msgtype: 'm.text', ...content });
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const setPusher = async (user: TestUser, pushkey: string, data: object = {}): Promise<void> => {
      const body = { kind: 'http', app_id: 'org.example.app', pushkey, app_display_name: 'Example', device_display_name: 'Phone', lang: 'en', data: { url: gateway.url, ...data } };
      expect((await api(user, 'POST', '/pushers/set', body)).status).to.equal(200);
    };
    const eventIds = (pushes: readonly ReceivedPush[]) => pushes.map((push) => push.notification.event_id);

    before(async function () {
      gateway = await TestPushGateway.start();
      server = await start();
    });
    after(async function () {
      await server?.stop();
      await gateway?.close();
    });

    it('a message in a one-to-one room is pushed with the event, the room and sender names, counts and the device (data without url)', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob], { name: 'Mission Control' });
      const setAt = Date.now();
      await setPusher(bob, 'one-to-one', { custom: 'kept' });
      const eventId = await send(alice, roomId, { body: "I'm floating in a most peculiar way." });
      const [push] = await gateway.waitForPushes('one-to-one', 1);
      const { devices, ...notification } = push!.notification;
      expect(notification).to.deep.equal({
        event_id: eventId,
        room_id: roomId,
        type: 'm.room.message',
        sender: alice.userId,
        sender_display_name: 'Alice',
        room_name: 'Mission Control',
        prio: 'high',
        content: { msgtype: 'm.text', body: "I'm floating in a most peculiar way." },
        counts: { unread: 1 },
      });
      expect(devices).to.have.length(1);
      const { pushkey_ts: pushkeyTs, ...device } = devices[0];
      // ".m.rule.room_one_to_one": notify with the default sound.
      expect(device).to.deep.equal({ app_id: 'org.example.app', pushkey: 'one-to-one', data: { custom: 'kept' }, tweaks: { sound: 'default' } });
      expect(pushkeyTs).to.be.within(Math.floor(setAt / 1000) - 1, Math.ceil(Date.now() / 1000));
    });

    it('"set_tweak": a mention is pushed with the highlight tweak and high priority; a plain message in a group room with none and low priority', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const carol = await newUser('Carol');
      const roomId = await newRoom(alice, [bob, carol]);
      await setPusher(bob, 'mentions');
      const plain = await send(alice, roomId, { body: 'hello all' });
      const mention = await send(alice, roomId, { body: 'Bob: look', 'm.mentions': { user_ids: [bob.userId] } });
      const pushes = await gateway.waitForPushes('mentions', 2);
      expect(eventIds(pushes)).to.deep.equal([plain, mention]);
      const [first, second] = pushes.map((push) => push.notification);
      expect(first.prio).to.equal('low');
      expect(first.devices[0].tweaks).to.deep.equal({});
      expect(first.counts).to.deep.equal({ unread: 1 });
      expect(second.prio).to.equal('high');
      expect(second.devices[0].tweaks).to.deep.equal({ sound: 'default', highlight: true });
      expect(second.counts).to.deep.equal({ unread: 2 });
    });

    it('"format": "event_id_only" sends only the event ID, room ID, counts and devices (with prio); a new pusher gets nothing from before it', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob], { name: 'Secret' });
      await send(alice, roomId, { body: 'before the pusher' });
      await setPusher(bob, 'id-only', { format: 'event_id_only' });
      const eventId = await send(alice, roomId, { body: 'not for the push provider' });
      const pushes = await gateway.waitForPushes('id-only', 1);
      expect(eventIds(pushes)).to.deep.equal([eventId]);
      const { devices, ...notification } = pushes[0]!.notification;
      expect(notification).to.deep.equal({ event_id: eventId, room_id: roomId, prio: 'high', counts: { unread: 2 } });
      expect(devices[0].data).to.deep.equal({ format: 'event_id_only' });
    });

    it('"Homeservers MUST NOT notify the Push Gateway for events that the user has sent themselves"', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob]);
      await setPusher(alice, 'own-messages');
      await send(alice, roomId, { body: 'my own' });
      const reply = await send(bob, roomId, { body: 'a reply' });
      // Pushes go in stream order: once the reply is in, the own message would have been before it.
      expect(eventIds(await gateway.waitForPushes('own-messages', 1))).to.deep.equal([reply]);
    });

    it('"SHOULD retry ... using exponential backoff": a notification answered 500 is sent again, once accepted, before the next', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob]);
      await setPusher(bob, 'flaky');
      gateway.answerWith('flaky', { status: 500, body: { errcode: 'M_UNKNOWN' } });
      const first = await send(alice, roomId, { body: 'one' });
      const second = await send(alice, roomId, { body: 'two' });
      await gateway.waitForPushes('flaky', 3);
      const third = await send(alice, roomId, { body: 'three' });
      const pushes = await gateway.waitForPushes('flaky', 4);
      expect(eventIds(pushes)).to.deep.equal([first, first, second, third]);
      expect(pushes.map((push) => push.status)).to.deep.equal([500, 200, 200, 200]);
    });

    it('"rejected": a rejected pushkey\'s pusher is removed and no longer pushed to', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob]);
      await setPusher(bob, 'expired');
      await setPusher(bob, 'still-valid');
      gateway.answerWith('expired', { status: 200, body: { rejected: ['expired'] } });
      const first = await send(alice, roomId, { body: 'one' });
      await gateway.waitForPushes('expired', 1);
      await gateway.waitForPushes('still-valid', 1);
      const pushkeys = async () => (await api(bob, 'GET', '/pushers')).json.pushers.map((pusher: { pushkey: string }) => pusher.pushkey);
      for (let tries = 0; (await pushkeys()).includes('expired') && tries < 50; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await pushkeys()).to.deep.equal(['still-valid']);
      const second = await send(alice, roomId, { body: 'two' });
      expect(eventIds(await gateway.waitForPushes('still-valid', 2))).to.deep.equal([first, second]);
      expect(eventIds(gateway.pushesFor('expired'))).to.deep.equal([first]);
    });

    it('a read receipt that lowers the unread count sends a counts-only update', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob]);
      await setPusher(bob, 'badge');
      const eventId = await send(alice, roomId, { body: 'read me' });
      await gateway.waitForPushes('badge', 1);
      expect((await api(bob, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, {})).status).to.equal(200);
      const pushes = await gateway.waitForPushes('badge', 2);
      const { devices, ...notification } = pushes[1]!.notification;
      expect(notification).to.deep.equal({ counts: { unread: 0 } });
      expect(devices.map((device: { pushkey: string }) => device.pushkey)).to.deep.equal(['badge']);
    });

    it('after a restart, delivery resumes where it stood: the pending notification is sent, none twice', async function () {
      const alice = await newUser('Alice');
      const bob = await newUser('Bob');
      const roomId = await newRoom(alice, [bob]);
      await setPusher(bob, 'restart');
      const first = await send(alice, roomId, { body: 'before' });
      await gateway.waitForPushes('restart', 1);
      gateway.answerWith('restart', ...Array.from({ length: 10 }, () => ({ status: 503 })));
      const pending = await send(alice, roomId, { body: 'pending' });
      await gateway.waitForPushes('restart', 2);
      await server.stop({ keepData: true });
      gateway.clearAnswers('restart');
      server = await start(server);
      await gateway.waitFor(() => gateway.pushesFor('restart').some((push) => push.status === 200 && push.notification.event_id === pending));
      const after = await send(alice, roomId, { body: 'after' });
      await gateway.waitFor(() => gateway.pushesFor('restart').some((push) => push.notification.event_id === after));
      const accepted = gateway.pushesFor('restart').filter((push) => push.status === 200);
      expect(eventIds(accepted)).to.deep.equal([first, pending, after]);
    });
  });
}
