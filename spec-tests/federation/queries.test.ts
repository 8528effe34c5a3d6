/**
 * server-server-api "Querying for information" from the client's side: a client on a.test reads the
 * profile of a user of b.test and joins a room by an alias of b.test, both asked of b.test over TLS;
 * and a profile change on b.test reaches a.test as the user's new member event.
 */
import { expect } from 'chai';
import type { TestUser } from '../harness/accounts.ts';
import { eventually, startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { clientCall as call } from '../harness/requests.ts';

describe('client queries answered by another server (query/profile, query/directory) over TLS', function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;

  before(async function () {
    ({ federation, a, b, alice, bob } = await startAliceAndBob({ config: { allow_public_rooms_over_federation: true } }));
  });
  after(() => federation.stop());

  it('GET /profile/{userId} of a user of b.test, asked on a.test; an unknown user is 404 M_NOT_FOUND', async function () {
    expect((await call(b, bob, 'PUT', `/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bob of B' })).status).to.equal(200);
    const profile = await call(a, alice, 'GET', `/profile/${encodeURIComponent(bob.userId)}`);
    expect(profile.status, profile.text).to.equal(200);
    expect(profile.json.displayname).to.equal('Bob of B');
    const unknown = await call(a, alice, 'GET', `/profile/${encodeURIComponent('@nobody:b.test')}`);
    expect(unknown.status).to.equal(404);
    expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
  });

  it('GET /directory/room/{alias} of b.test and POST /join/{alias}: the alias\'s server answers, the join goes through it', async function () {
    const roomId = (await call(b, bob, 'POST', '/createRoom', { preset: 'public_chat', room_alias_name: 'lounge' })).json.room_id as string;
    const resolved = await call(a, alice, 'GET', `/directory/room/${encodeURIComponent('#lounge:b.test')}`);
    expect(resolved.status, resolved.text).to.equal(200);
    expect(resolved.json.room_id).to.equal(roomId);
    expect(resolved.json.servers).to.include('b.test');
    const joined = await call(a, alice, 'POST', `/join/${encodeURIComponent('#lounge:b.test')}`, {});
    expect(joined.status, joined.text).to.equal(200);
    expect(joined.json.room_id).to.equal(roomId);
    const unknown = await call(a, alice, 'GET', `/directory/room/${encodeURIComponent('#nothing:b.test')}`);
    expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
  });

  it('a profile change of a user of b.test reaches a.test\'s members of their rooms in /sync (their member event)', async function () {
    const roomId = (await call(b, bob, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
    expect((await call(a, alice, 'POST', `/join/${encodeURIComponent(roomId)}?server_name=b.test`, {})).status).to.equal(200);
    const since = (await call(a, alice, 'GET', '/sync?timeout=0')).json.next_batch as string;
    expect((await call(b, bob, 'PUT', `/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bob, renamed' })).status).to.equal(200);
    const member = await eventually(async () => {
      const sync = await call(a, alice, 'GET', `/sync?since=${since}&timeout=1000`);
      const events = (sync.json.rooms?.join?.[roomId]?.timeline?.events ?? []) as Array<{ type: string; state_key?: string; content: { displayname?: string } }>;
      return events.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.displayname === 'Bob, renamed');
    });
    expect(member.content).to.include({ membership: 'join', displayname: 'Bob, renamed' });
  });

  it('GET and POST /publicRooms?server=b.test list b.test\'s published rooms, read over federation', async function () {
    const roomId = (await call(b, bob, 'POST', '/createRoom', { preset: 'public_chat', visibility: 'public', name: 'Published on B' })).json.room_id as string;
    const listed = await call(a, alice, 'GET', '/publicRooms?server=b.test');
    expect(listed.status, listed.text).to.equal(200);
    expect(listed.json.chunk.map((room: { room_id: string }) => room.room_id)).to.include(roomId);
    const searched = await call(a, alice, 'POST', '/publicRooms?server=b.test', { filter: { generic_search_term: 'Published on B' } });
    expect(searched.json.chunk.map((room: { name: string }) => room.name)).to.deep.equal(['Published on B']);
  });
});
