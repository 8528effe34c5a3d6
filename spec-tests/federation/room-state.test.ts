/**
 * Room state across three Lattice servers over TLS: kicks and bans of remote users take effect
 * everywhere, and concurrent state changes made on two servers resolve to the same state on all
 * three (rooms "State resolution"; compare /state).
 */
import { expect } from 'chai';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually, startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { clientCall as call } from '../harness/requests.ts';

describe('room state across three servers over TLS: kick, ban, concurrent state changes', function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let c: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
  const membershipOf = async (server: TestHomeserver, user: TestUser, roomId: string, target: string) =>
    (await call(server, user, 'GET', `${room(roomId)}/members`)).json?.chunk?.find((e: { state_key: string }) => e.state_key === target)?.content.membership;
  /** The room's state as event IDs by (type, state_key), as `user` reads it on `server`. */
  const stateIds = async (server: TestHomeserver, user: TestUser, roomId: string) =>
    Object.fromEntries(((await call(server, user, 'GET', `${room(roomId)}/state`)).json as Array<{ type: string; state_key: string; event_id: string }>).map((e) => [`${e.type}|${e.state_key}`, e.event_id]));

  before(async function () {
    federation = await startFederatedServers(['a.test', 'b.test', 'c.test']);
    [a, b, c] = federation.servers as [TestHomeserver, TestHomeserver, TestHomeserver];
    alice = await registerUser(a, 'alice');
    bob = await registerUser(b, 'bob');
    carol = await registerUser(c, 'carol');
  });
  after(() => federation.stop());

  const threeServerRoom = async (): Promise<string> => {
    const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
    for (const [server, user] of [
      [b, bob],
      [c, carol],
    ] as const) {
      const joined = await call(server, user, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {});
      expect(joined.status, joined.text).to.equal(200);
    }
    // Everyone sees everyone joined.
    for (const [server, user] of [
      [a, alice],
      [b, bob],
      [c, carol],
    ] as const) {
      for (const target of [alice, bob, carol]) await eventually(async () => (await membershipOf(server, user, roomId, target.userId)) === 'join', 10_000, `${target.userId} joined as seen on ${server.serverName}`);
    }
    return roomId;
  };

  it('alice@a.test kicks bob@b.test and bans carol@c.test: the servers in the room and the target\'s server see it', async function () {
    const roomId = await threeServerRoom();
    expect((await call(a, alice, 'POST', `${room(roomId)}/kick`, { user_id: bob.userId, reason: 'out' })).status).to.equal(200);
    expect((await call(a, alice, 'POST', `${room(roomId)}/ban`, { user_id: carol.userId })).status).to.equal(200);
    for (const [server, user] of [
      [a, alice],
      [c, carol],
    ] as const) {
      await eventually(async () => (await membershipOf(server, user, roomId, bob.userId)) === 'leave', 10_000, `the kick seen on ${server.serverName}`);
    }
    await eventually(async () => (await membershipOf(c, carol, roomId, carol.userId)) === 'ban', 10_000, 'carol seeing herself banned');
    // b.test, with no member left in the room after the kick, sees the kick but is sent nothing after it.
    await eventually(async () => (await membershipOf(b, bob, roomId, bob.userId)) === 'leave', 10_000, 'bob seeing himself kicked');
    await eventually(async () => (await membershipOf(a, alice, roomId, carol.userId)) === 'ban', 10_000, 'a.test holding the ban');
    // A kicked user cannot send; the banned one cannot join again.
    expect((await call(b, bob, 'PUT', `${room(roomId)}/send/m.room.message/after-kick`, { msgtype: 'm.text', body: 'still here?' })).status).to.equal(403);
    expect((await call(c, carol, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {})).status).to.equal(403);
  });

  it('concurrent topic changes on a.test and b.test resolve to the same state on all three servers', async function () {
    const roomId = await threeServerRoom();
    // bob may change the topic too.
    const levels = (await call(a, alice, 'GET', `${room(roomId)}/state/m.room.power_levels`)).json;
    expect((await call(a, alice, 'PUT', `${room(roomId)}/state/m.room.power_levels`, { ...levels, users: { ...levels.users, [bob.userId]: 100 } })).status).to.equal(200);
    await eventually(async () => (await call(b, bob, 'GET', `${room(roomId)}/state/m.room.power_levels`)).json.users?.[bob.userId] === 100, 10_000, 'the power levels reaching b.test');
    // Both at once: each server builds its topic before it has seen the other's.
    const [fromA, fromB] = await Promise.all([
      call(a, alice, 'PUT', `${room(roomId)}/state/m.room.topic`, { topic: 'set on a.test' }),
      call(b, bob, 'PUT', `${room(roomId)}/state/m.room.topic`, { topic: 'set on b.test' }),
    ]);
    expect([fromA.status, fromB.status]).to.deep.equal([200, 200]);
    const topicIds = new Set([fromA.json.event_id, fromB.json.event_id]);
    // Converged: every server has both topic events and the same state.
    const converged = await eventually(
      async () => {
        const states = await Promise.all([stateIds(a, alice, roomId), stateIds(b, bob, roomId), stateIds(c, carol, roomId)]);
        const topics = states.map((state) => state['m.room.topic|']);
        return topics.every((topic) => topic === topics[0] && topicIds.has(topic)) && JSON.stringify(states[0]) === JSON.stringify(states[1]) && JSON.stringify(states[1]) === JSON.stringify(states[2]) ? states : undefined;
      },
      15_000,
      'the three servers agreeing on the state',
    );
    expect(topicIds.has(converged[0]!['m.room.topic|'])).to.equal(true);
    // A message after that joins the branches and reaches everyone.
    expect((await call(c, carol, 'PUT', `${room(roomId)}/send/m.room.message/after-merge`, { msgtype: 'm.text', body: 'merged' })).status).to.equal(200);
    await eventually(async () => ((await call(a, alice, 'GET', `${room(roomId)}/messages?dir=b&limit=5`)).json.chunk ?? []).some((e: { content: { body?: string } }) => e.content.body === 'merged'), 10_000, 'the merge message reaching a.test');
  });
});
