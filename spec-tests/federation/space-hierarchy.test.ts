/**
 * Spaces (client-server-api and server-server-api "Spaces": /hierarchy) across two servers over TLS:
 * a space on a.test whose children live on a.test and b.test, read by clients of both servers.
 */
import { expect } from 'chai';
import type { TestUser } from '../harness/accounts.ts';
import { startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('client-server-api "Spaces": GET /v1/rooms/{roomId}/hierarchy, locally and over federation', function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  const call = (server: TestHomeserver, user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: object) =>
    rawRequest(server.baseUrl, `/_matrix/${path}`, { method, body, accessToken: user.accessToken });
  let space: string;
  let lounge: string;
  let secret: string;
  let remote: string;

  before(async function () {
    ({ federation, a, b, alice, bob } = await startAliceAndBob());
    const create = async (server: TestHomeserver, user: TestUser, body: object) => (await call(server, user, 'POST', 'client/v3/createRoom', body)).json.room_id as string;
    space = await create(a, alice, { preset: 'public_chat', name: 'The Space', creation_content: { type: 'm.space' } });
    lounge = await create(a, alice, { preset: 'public_chat', name: 'Lounge', topic: 'chat' });
    secret = await create(a, alice, { preset: 'private_chat', name: 'Secret' });
    remote = await create(b, bob, { preset: 'public_chat', name: 'Over on B' });
    for (const [child, via, suggested] of [
      [lounge, 'a.test', true],
      [secret, 'a.test', false],
      [remote, 'b.test', false],
    ] as const) {
      const put = await call(a, alice, 'PUT', `client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`, { via: [via], suggested });
      expect(put.status, put.text).to.equal(200);
    }
  });
  after(() => federation.stop());

  const names = (rooms: Array<{ name?: string }>) => rooms.map((room) => room.name);

  it('alice sees the space, its children on a.test (the private one too: she is in it) and the child on b.test, described by b.test', async function () {
    const answer = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy`);
    expect(answer.status, answer.text).to.equal(200);
    expect(names(answer.json.rooms)).to.have.members(['The Space', 'Lounge', 'Secret', 'Over on B']);
    const root = answer.json.rooms[0];
    expect(root).to.include({ room_id: space, room_type: 'm.space', join_rule: 'public', num_joined_members: 1 });
    expect(root.children_state.map((child: { state_key: string }) => child.state_key)).to.have.members([lounge, secret, remote]);
    expect(answer.json.rooms.find((room: { room_id: string }) => room.room_id === lounge)).to.include({ topic: 'chat' });
  });

  it('suggested_only, max_depth and pagination; a changed filter on the next page is M_INVALID_PARAM', async function () {
    const suggested = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy?suggested_only=true`);
    expect(names(suggested.json.rooms)).to.deep.equal(['The Space', 'Lounge']);
    const shallow = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy?max_depth=0`);
    expect(names(shallow.json.rooms)).to.deep.equal(['The Space']);
    const first = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy?limit=2`);
    expect(first.json.rooms).to.have.length(2);
    const second = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy?limit=2&from=${first.json.next_batch}`);
    expect([...names(first.json.rooms), ...names(second.json.rooms)]).to.have.members(['The Space', 'Lounge', 'Secret', 'Over on B']);
    const changed = await call(a, alice, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy?limit=2&suggested_only=true&from=${first.json.next_batch}`);
    expect(changed.json.errcode).to.equal('M_INVALID_PARAM');
  });

  it('bob on b.test (b.test is not in the space) reads it through a.test: the private child is left out', async function () {
    const answer = await call(b, bob, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy`);
    // b.test does not know the space: it is not in it; joining first makes it known.
    expect(answer.status).to.equal(403);
    expect((await call(b, bob, 'POST', `client/v3/join/${encodeURIComponent(space)}?via=a.test`, {})).status).to.equal(200);
    const joined = await call(b, bob, 'GET', `client/v1/rooms/${encodeURIComponent(space)}/hierarchy`);
    expect(joined.status, joined.text).to.equal(200);
    expect(names(joined.json.rooms)).to.have.members(['The Space', 'Lounge', 'Over on B']);
  });
});
