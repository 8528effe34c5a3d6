import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi } from '../harness/requests.ts';

/**
 * Many clients sending at once, as the group-committing persister sees them: every acknowledged
 * send is stored once, each room's events stay one chain of prev_events, and /sync readers see
 * them in stream order with none skipped.
 */
for (const engine of testEngines) {
  describe(`client-server-api "Sending events to a room" under concurrent load on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'concurrent.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const send = (user: TestUser, roomId: string, txnId: string, body: string) => api(user, 'PUT', `${room(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
    const newRoom = async (creator: TestUser, ...members: TestUser[]): Promise<string> => {
      const roomId: string = (await api(creator, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      for (const member of members) expect((await api(member, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).status).to.equal(200);
      return roomId;
    };
    /** The room's stored timeline, oldest first, with each event's prev_events. */
    const storedTimeline = async (roomId: string) =>
      (await server().homeserver.storage.roomEvents.latestEvents(roomId, 1000)).reverse().map((event) => ({ ...event, prevEvents: event.pdu.prev_events as string[] }));
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      carol = await registerUser(server(), 'carol');
    });

    it('"Sending events to a room": sends to several rooms and into one room at once are all stored once, each room one chain of prev_events', async function () {
      const rooms = await Promise.all([newRoom(alice, bob), newRoom(bob, carol), newRoom(carol, alice)]);
      const senders = [alice, bob, carol];
      const answers = await Promise.all(rooms.flatMap((roomId, r) => Array.from({ length: 15 }, (_, n) => send(senders[(r + (n % 2)) % 3]!, roomId, `load-${r}-${n}`, `room ${r} message ${n}`))));
      expect(answers.map((answer) => answer.status)).to.deep.equal(answers.map(() => 200));
      for (const [r, roomId] of rooms.entries()) {
        const events = await storedTimeline(roomId);
        const bodies = events.filter((event) => event.type === 'm.room.message').map((event) => (event.pdu.content as { body: string }).body);
        expect([...bodies].sort()).to.deep.equal(Array.from({ length: 15 }, (_, n) => `room ${r} message ${n}`).sort());
        for (let i = 1; i < events.length; i++) {
          expect(events[i]!.prevEvents).to.deep.equal([events[i - 1]!.eventId]);
          expect(events[i]!.streamPosition).to.be.above(events[i - 1]!.streamPosition!);
        }
      }
    });

    it('"Transaction identifiers": the same txnId sent many times at once from one device makes one event', async function () {
      const roomId = await newRoom(alice);
      const answers = await Promise.all(Array.from({ length: 8 }, () => send(alice, roomId, 'retried', 'only once')));
      expect(new Set(answers.map((answer) => answer.json.event_id)).size).to.equal(1);
      const messages = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=50`);
      expect(messages.json.chunk.filter((event: { content: { body?: string } }) => event.content.body === 'only once')).to.have.length(1);
    });

    it('"Syncing": a long-polling /sync sees concurrent sends in stream order, each exactly once', async function () {
      const roomId = await newRoom(alice, bob);
      let since: string = (await api(bob, 'GET', '/sync')).json.next_batch;
      const seen: string[] = [];
      const sending = Promise.all(Array.from({ length: 40 }, (_, n) => send(n % 2 ? alice : bob, roomId, `seen-${n}`, `seen ${n}`)));
      while (seen.length < 40) {
        const response = await api(bob, 'GET', `/sync?since=${encodeURIComponent(since)}&timeout=5000&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 100 } } }))}`);
        expect(response.status).to.equal(200);
        since = response.json.next_batch;
        const events: Array<{ type: string; content: { body: string } }> = response.json.rooms?.join?.[roomId]?.timeline?.events ?? [];
        seen.push(...events.filter((event) => event.type === 'm.room.message').map((event) => event.content.body));
      }
      await sending;
      expect(new Set(seen).size).to.equal(40);
      const stored = (await storedTimeline(roomId)).filter((event) => event.type === 'm.room.message').map((event) => (event.pdu.content as { body: string }).body);
      expect(seen).to.deep.equal(stored);
    });
  });
}
