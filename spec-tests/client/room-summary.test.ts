/**
 * client-server-api "Room Summaries" (data/api/client-server/room_summary.yaml): GET
 * /v1/room_summary/{roomIdOrAlias}, for members, outsiders and unauthenticated clients, and for rooms
 * this server is not in (described by a server of `via` through the federation /hierarchy).
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import { useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

const summaryPath = (roomIdOrAlias: string, via: string[] = []) =>
  `/_matrix/client/v1/room_summary/${encodeURIComponent(roomIdOrAlias)}${via.map((server, i) => `${i === 0 ? '?' : '&'}via=${encodeURIComponent(server)}`).join('')}`;

for (const engine of testEngines) {
  describe(`client-server-api "Room Summaries": GET /v1/room_summary on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'summary.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const summary = (user: TestUser | undefined, roomIdOrAlias: string) => rawRequest(server().baseUrl, summaryPath(roomIdOrAlias), { accessToken: user?.accessToken });
    const createRoom = async (user: TestUser, body: object): Promise<string> => {
      const response = await api(user, 'POST', '/createRoom', body);
      expect(response.status, response.text).to.equal(200);
      return response.json.room_id;
    };

    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let publicRoom: string;
    let privateRoom: string;
    before(async function () {
      [alice, bob, carol] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol')];
      publicRoom = await createRoom(alice, { preset: 'public_chat', name: 'Town square', topic: 'all welcome', room_alias_name: 'square', room_version: '11' });
      privateRoom = await createRoom(alice, {
        preset: 'private_chat',
        name: 'Back office',
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
    });

    it('a public room: its summary for an outsider, with membership "leave"', async function () {
      const response = await summary(bob, publicRoom);
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({
        room_id: publicRoom,
        name: 'Town square',
        topic: 'all welcome',
        canonical_alias: '#square:summary.test',
        num_joined_members: 1,
        world_readable: false,
        guest_can_join: false,
        join_rule: 'public',
        room_version: '11',
        membership: 'leave',
      });
    });

    it('by alias, with the member\'s membership', async function () {
      const response = await summary(alice, '#square:summary.test');
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.include({ room_id: publicRoom, membership: 'join' });
    });

    it('an unknown alias or room is 404 M_NOT_FOUND', async function () {
      for (const target of ['#nowhere:summary.test', '!nowhere:summary.test']) {
        const response = await summary(alice, target);
        expect([response.status, response.json.errcode], target).to.deep.equal([404, 'M_NOT_FOUND']);
      }
    });

    it('a private room is 404 M_NOT_FOUND for an outsider, and visible to a member and to the invited', async function () {
      const outsider = await summary(bob, privateRoom);
      expect([outsider.status, outsider.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
      const member = await summary(alice, privateRoom);
      expect(member.status).to.equal(200);
      expect(member.json).to.include({ name: 'Back office', join_rule: 'invite', encryption: 'm.megolm.v1.aes-sha2', membership: 'join' });
      expect((await api(alice, 'POST', `/rooms/${encodeURIComponent(privateRoom)}/invite`, { user_id: carol.userId })).status).to.equal(200);
      expect((await summary(carol, privateRoom)).json).to.include({ room_id: privateRoom, membership: 'invite' });
    });

    it('unauthenticated: a public room is summarised without membership; a private one is 404; a bad token is 401', async function () {
      const open = await summary(undefined, publicRoom);
      expect(open.status, open.text).to.equal(200);
      expect(open.json).to.include({ room_id: publicRoom, name: 'Town square' }).and.not.have.property('membership');
      const closed = await summary(undefined, privateRoom);
      expect([closed.status, closed.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
      const badToken = await rawRequest(server().baseUrl, summaryPath(publicRoom), { accessToken: 'not-a-token' });
      expect([badToken.status, badToken.json.errcode]).to.deep.equal([401, 'M_UNKNOWN_TOKEN']);
    });

    it('a world-readable room is visible to anyone, even invite-only', async function () {
      const roomId = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } }] });
      expect((await summary(undefined, roomId)).json).to.include({ room_id: roomId, world_readable: true, join_rule: 'invite' });
    });

    it('a restricted room lists allowed_room_ids and is visible to members of an allowed room only', async function () {
      const allow = [{ type: 'm.room_membership', room_id: publicRoom }];
      const roomId = await createRoom(alice, { room_version: '10', preset: 'private_chat', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow } }] });
      const outsider = await summary(bob, roomId);
      expect(outsider.status).to.equal(404);
      expect((await api(bob, 'POST', `/rooms/${encodeURIComponent(publicRoom)}/join`, {})).status).to.equal(200);
      const insider = await summary(bob, roomId);
      expect(insider.status, insider.text).to.equal(200);
      expect(insider.json).to.deep.include({ join_rule: 'restricted', allowed_room_ids: [publicRoom], membership: 'leave' });
    });

    it('a knockable room is visible to anyone, and the space type shows as room_type', async function () {
      const roomId = await createRoom(alice, { room_version: '10', preset: 'private_chat', creation_content: { type: 'm.space' }, initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
      expect((await summary(bob, roomId)).json).to.include({ join_rule: 'knock', room_type: 'm.space' });
    });

    it('matrix-js-sdk getRoomSummary (the MSC3266 path) reads the same summary', async function () {
      const client = await createTestClient(server(), { userId: bob.userId, accessToken: bob.accessToken });
      const answer = await client.getRoomSummary(publicRoom);
      expect(answer).to.include({ room_id: publicRoom, name: 'Town square' });
      client.stopClient();
    });
  });
}

describe('client-server-api "Room Summaries": a room this server is not in, through `via`', function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  let remotePublic: string;
  let remotePrivate: string;
  const summary = (user: TestUser | undefined, roomIdOrAlias: string, via: string[] = []) => rawRequest(a.baseUrl, summaryPath(roomIdOrAlias, via), { accessToken: user?.accessToken });

  before(async function () {
    federation = await startFederatedServers(['a.test', 'b.test']);
    [a, b] = federation.servers as [TestHomeserver, TestHomeserver];
    alice = await registerUser(a, 'alice');
    bob = await registerUser(b, 'bob');
    const create = async (body: object) => (await rawRequest(b.baseUrl, '/_matrix/client/v3/createRoom', { body, accessToken: bob.accessToken })).json.room_id as string;
    remotePublic = await create({ preset: 'public_chat', name: 'Over on B', room_alias_name: 'bee' });
    remotePrivate = await create({ preset: 'private_chat', name: 'Hidden on B' });
  });
  after(() => federation.stop());

  it('a public room of b.test (a version 12 room ID names no server) is described by the server in `via`', async function () {
    expect((await summary(alice, remotePublic)).status).to.equal(404);
    const response = await summary(alice, remotePublic, ['b.test']);
    expect(response.status, response.text).to.equal(200);
    expect(response.json).to.include({ room_id: remotePublic, name: 'Over on B', join_rule: 'public', num_joined_members: 1, membership: 'leave' });
    expect(response.json).not.to.have.property('children_state');
  });

  it('by an alias of b.test: the servers its directory names are asked', async function () {
    const response = await summary(alice, '#bee:b.test');
    expect(response.status, response.text).to.equal(200);
    expect(response.json).to.include({ room_id: remotePublic, canonical_alias: '#bee:b.test' });
  });

  it('unauthenticated, for a public room of b.test', async function () {
    const response = await summary(undefined, remotePublic, ['b.test']);
    expect(response.status, response.text).to.equal(200);
    expect(response.json).to.include({ room_id: remotePublic }).and.not.have.property('membership');
  });

  it('a private room of b.test is 404 M_NOT_FOUND', async function () {
    const response = await summary(alice, remotePrivate, ['b.test']);
    expect([response.status, response.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
  });
});
