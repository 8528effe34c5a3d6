/**
 * server-server-api "Inviting to a room" between two Lattice servers over TLS: an invite of another
 * server's user carries both servers' signatures, reaches the invitee's /sync with the room's stripped
 * state, and the invitee joins through the inviting server.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import type { TestUser } from '../harness/accounts.ts';
import { eventually, startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { clientCall as call } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`server-server-api "Inviting to a room" between two servers over TLS on ${engine}`, function () {
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    let alice: TestUser;
    let bob: TestUser;

    before(async function () {
      ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine }));
    });
    after(() => federation.stop());

    it('alice invites bob@b.test to a private room; bob sees the invite with stripped state and joins through a.test', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'private_chat', name: 'Secret plans' })).json.room_id as string;
      const since = (await call(b, bob, 'GET', '/sync')).json.next_batch;
      const invited = await call(a, alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: bob.userId });
      expect(invited.status, invited.text).to.equal(200);
      const member = await call(a, alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`);
      expect(member.json.membership).to.equal('invite');

      const sync = await call(b, bob, 'GET', `/sync?since=${since}&timeout=5000`);
      const invite = sync.json.rooms?.invite?.[roomId];
      expect(invite, JSON.stringify(sync.json)).to.not.equal(undefined);
      const types = invite.invite_state.events.map((e: { type: string }) => e.type);
      expect(types).to.include.members(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.member']);
      const inviteEvent = invite.invite_state.events.find((e: { type: string; state_key: string }) => e.type === 'm.room.member' && e.state_key === bob.userId);
      expect(inviteEvent.content.membership).to.equal('invite');
      expect(inviteEvent.sender).to.equal(alice.userId);

      // Accepting: no via needed, the invite says where the room is.
      const joined = await call(b, bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/join`, {});
      expect(joined.status, joined.text).to.equal(200);
      await eventually(async () => (await call(a, alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`)).json.membership === 'join', 10_000, 'the join reaching a.test');
      const after = await call(b, bob, 'GET', `/sync?since=${sync.json.next_batch}`);
      expect(after.json.rooms?.invite?.[roomId]).to.equal(undefined);
      expect(after.json.rooms?.join?.[roomId]).to.not.equal(undefined);
      expect((await call(b, bob, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.name`)).json.name).to.equal('Secret plans');
    });

    it('bob rejects an invite to a room b.test is not in: the leave goes through a.test, and his /sync moves the room to leave', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'private_chat' })).json.room_id as string;
      expect((await call(a, alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: bob.userId })).status).to.equal(200);
      const invited = await eventually(async () => {
        const sync = await call(b, bob, 'GET', '/sync');
        return sync.json.rooms?.invite?.[roomId] ? sync.json : undefined;
      }, 10_000, 'the invite reaching bob');
      const rejected = await call(b, bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, { reason: 'not now' });
      expect(rejected.status, rejected.text).to.equal(200);
      const member = await call(a, alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`);
      expect(member.json).to.include({ membership: 'leave', reason: 'not now' });
      const after = await call(b, bob, 'GET', `/sync?since=${invited.next_batch}`);
      expect(after.json.rooms?.invite?.[roomId]).to.equal(undefined);
      expect(after.json.rooms?.leave?.[roomId]?.timeline.events[0].content.membership).to.equal('leave');
    });

    it('an invite of a user b.test does not have is refused: 403 M_FORBIDDEN, and the room holds no invite', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'private_chat' })).json.room_id as string;
      const refused = await call(a, alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: '@nobody:b.test' });
      expect(refused.status).to.equal(403);
      expect(refused.json.errcode).to.equal('M_FORBIDDEN');
      const member = await call(a, alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent('@nobody:b.test')}`);
      expect(member.status).to.equal(404);
      // The room still works for the next event.
      expect((await call(a, alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after-refusal`, { msgtype: 'm.text', body: 'still here' })).status).to.equal(200);
    });
  });
}
