import { expect } from 'chai';
import { ClientEvent, RoomEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Syncing" rooms (join, invite, leave) on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'syncrooms.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const sync = (user: TestUser, params: Record<string, string> = {}) => api(user, 'GET', `/sync?${new URLSearchParams(params)}`);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const send = (user: TestUser, roomId: string, txnId: string, body: string) =>
      api(user, 'PUT', `${room(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });

    it('initial sync serves each joined room\'s state at the start of its timeline and its last events', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { name: 'Initial' })).json.room_id;
      for (let i = 0; i < 12; i++) await send(alice, roomId, `i${i}`, `message ${i}`);
      const response = await sync(alice);
      const joined = response.json.rooms.join[roomId];
      expect(joined.timeline.events).to.have.length(10);
      expect(joined.timeline.limited).to.equal(true);
      expect(joined.timeline.events.at(-1).content.body).to.equal('message 11');
      expect(joined.timeline.events[0]).to.not.have.property('room_id');
      const stateTypes = joined.state.events.map((e: { type: string }) => e.type);
      expect(stateTypes).to.include.members(['m.room.create', 'm.room.power_levels', 'm.room.name', 'm.room.member']);
      expect(joined.summary['m.joined_member_count']).to.equal(1);
      // The sending device sees its transaction ID.
      expect(joined.timeline.events.at(-1).unsigned.transaction_id).to.equal('i11');
      // prev_batch continues into /messages.
      const older = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=5&from=${joined.timeline.prev_batch}`);
      expect(older.json.chunk[0].content.body).to.equal('message 1');
    });

    it('incremental sync returns only new events, with limited and the state gap when many arrived', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      const since = (await sync(alice)).json.next_batch;
      await send(alice, roomId, 'n1', 'new one');
      const small = await sync(alice, { since });
      expect(small.json.rooms.join[roomId].timeline.events.map((e: { content: { body: string } }) => e.content.body)).to.deep.equal(['new one']);
      expect(small.json.rooms.join[roomId].timeline.limited).to.equal(false);
      expect(small.json.rooms.join[roomId].state.events).to.deep.equal([]);
      // A state change followed by more events than the limit: the change comes as state.
      await api(alice, 'PUT', `${room(roomId)}/state/m.room.topic`, { topic: 'changed' });
      for (let i = 0; i < 4; i++) await send(alice, roomId, `g${i}`, `gap ${i}`);
      const filter = JSON.stringify({ room: { timeline: { limit: 2 } } });
      const gap = await sync(alice, { since: small.json.next_batch, filter });
      expect(gap.json.rooms.join[roomId].timeline.limited).to.equal(true);
      expect(gap.json.rooms.join[roomId].state.events.map((e: { type: string }) => e.type)).to.deep.equal(['m.room.topic']);
      const quiet = await sync(alice, { since: gap.json.next_batch });
      expect(quiet.json.rooms?.join?.[roomId]).to.equal(undefined);
    });

    it('invites appear in the invite section with stripped state; joining moves the room to join with full state', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { name: 'Invited', preset: 'private_chat' })).json.room_id;
      const since = (await sync(bob)).json.next_batch;
      await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: bob.userId });
      const invited = await sync(bob, { since });
      const inviteState = invited.json.rooms.invite[roomId].invite_state.events;
      expect(inviteState.find((e: { type: string }) => e.type === 'm.room.name').content).to.deep.equal({ name: 'Invited' });
      expect(inviteState.find((e: { type: string }) => e.type === 'm.room.member').content.membership).to.equal('invite');
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const joined = await sync(bob, { since: invited.json.next_batch });
      expect(joined.json.rooms.join[roomId].state.events.map((e: { type: string }) => e.type)).to.include('m.room.name');
      expect(joined.json.rooms.invite?.[roomId]).to.equal(undefined);
    });

    it('leaving puts the room in the leave section once, with the timeline up to the leave', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const since = (await sync(bob)).json.next_batch;
      await api(bob, 'POST', `${room(roomId)}/leave`, {});
      await send(alice, roomId, 'after-leave', 'not for bob');
      const left = await sync(bob, { since });
      const timeline = left.json.rooms.leave[roomId].timeline.events;
      expect(timeline.at(-1).content.membership).to.equal('leave');
      expect(timeline.map((e: { content: { body?: string } }) => e.content.body)).to.not.include('not for bob');
      expect((await sync(bob, { since: left.json.next_batch })).json.rooms?.leave?.[roomId]).to.equal(undefined);
      expect((await sync(bob)).json.rooms?.leave?.[roomId]).to.equal(undefined);
      const withLeave = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
      expect(withLeave.json.rooms.leave[roomId]).to.not.equal(undefined);
    });

    it('wakes a long poll when a message arrives in a joined room', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const since = (await sync(bob)).json.next_batch;
      const started = Date.now();
      const polling = sync(bob, { since, timeout: '20000' });
      setTimeout(() => void send(alice, roomId, 'wake', 'wake up'), 150);
      const response = await polling;
      expect(Date.now() - started).to.be.below(5000);
      expect(response.json.rooms.join[roomId].timeline.events.map((e: { content: { body: string } }) => e.content.body)).to.deep.equal(['wake up']);
    });

    it('lazy-loads only the members of the timeline\'s senders', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      for (let i = 0; i < 3; i++) await send(alice, roomId, `l${i}`, `lazy ${i}`);
      const filter = JSON.stringify({ room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } });
      const response = await sync(bob, { filter });
      const members = response.json.rooms.join[roomId].state.events.filter((e: { type: string }) => e.type === 'm.room.member').map((e: { state_key: string }) => e.state_key);
      expect(members.sort()).to.deep.equal([alice.userId, bob.userId].sort());
    });

    it('matrix-js-sdk: a client syncs, sees a room and receives a message sent by another user', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'SDK room' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const client: MatrixClient = await createTestClient(server(), { userId: bob.userId, accessToken: bob.accessToken });
      try {
        const prepared = new Promise<void>((resolve) => client.on(ClientEvent.Sync, (state) => state === 'PREPARED' && resolve()));
        await client.startClient({ initialSyncLimit: 5 });
        await prepared;
        expect(client.getRoom(roomId)?.name).to.equal('SDK room');
        const received = new Promise<MatrixEvent>((resolve) => {
          client.on(RoomEvent.Timeline, (event) => {
            if (event.getType() === 'm.room.message' && event.getRoomId() === roomId) resolve(event);
          });
        });
        await send(alice, roomId, 'sdk', 'hello sdk');
        const event = await received;
        expect(event.getContent().body).to.equal('hello sdk');
        expect(event.getSender()).to.equal(alice.userId);
      } finally {
        client.stopClient();
      }
    });
  });
}
