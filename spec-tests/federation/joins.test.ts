/**
 * server-server-api "Joining Rooms" between two Lattice servers over TLS: a user of one server joins a
 * room of the other through make_join / send_join (v2), for every room version, both ways; then
 * messages flow both ways and reach each side's /sync.
 */
import { expect } from 'chai';
import { supportedRoomVersions } from '../../src/core/room-versions/known-versions.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually, startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { clientCall as call } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`server-server-api "Joining Rooms" between two servers over TLS on ${engine}`, function () {
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    let alice: TestUser;
    let bob: TestUser;
    let txn = 0;
    const say = async (server: TestHomeserver, user: TestUser, roomId: string, body: string) => {
      const response = await call(server, user, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/j${++txn}`, { msgtype: 'm.text', body });
      expect(response.status, response.text).to.equal(200);
    };
    /** The message bodies `user` can read in the room, oldest first. */
    const messages = async (server: TestHomeserver, user: TestUser, roomId: string): Promise<string[]> => {
      const response = await call(server, user, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`);
      return (response.json?.chunk ?? []).filter((e: { type: string }) => e.type === 'm.room.message').map((e: { content: { body: string } }) => e.content.body).reverse();
    };
    const members = async (server: TestHomeserver, user: TestUser, roomId: string) =>
      Object.keys((await call(server, user, 'GET', `/rooms/${encodeURIComponent(roomId)}/joined_members`)).json.joined ?? {}).sort();

    before(async function () {
      ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine }));
    });
    after(() => federation.stop());

    for (const version of supportedRoomVersions) {
      it(`room version ${version}: bob@b.test joins alice's room on a.test, and alice@a.test joins bob's room on b.test; messages arrive both ways`, async function () {
        for (const [host, creator, guest, guestServer] of [
          [a, alice, bob, b],
          [b, bob, alice, a],
        ] as const) {
          const roomId = (await call(host, creator, 'POST', '/createRoom', { preset: 'public_chat', room_version: version, name: `v${version}` })).json.room_id as string;
          const joined = await call(guestServer, guest, 'POST', `/join/${encodeURIComponent(roomId)}?via=${host.serverName}`, {});
          expect(joined.status, joined.text).to.equal(200);
          expect(await members(guestServer, guest, roomId)).to.deep.equal([creator.userId, guest.userId].sort());
          await eventually(async () => (await members(host, creator, roomId)).includes(guest.userId), 10_000, 'the join reaching the host');
          await say(host, creator, roomId, `hello from ${host.serverName}`);
          await say(guestServer, guest, roomId, `hello from ${guestServer.serverName}`);
          await eventually(async () => (await messages(guestServer, guest, roomId)).includes(`hello from ${host.serverName}`), 10_000, 'the host message reaching the guest');
          await eventually(async () => (await messages(host, creator, roomId)).includes(`hello from ${guestServer.serverName}`), 10_000, 'the guest message reaching the host');
          // The room's name came with the state the joining server received.
          const name = await call(guestServer, guest, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.name`);
          expect(name.json.name).to.equal(`v${version}`);
        }
      });
    }

    it('"Restricted rooms": members of the allowed room join, locally and through a.test (which vouches and signs); others are refused', async function () {
      const space = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat', room_version: '10' })).json.room_id as string;
      const joinRules = { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } };
      const restricted = (await call(a, alice, 'POST', '/createRoom', { preset: 'private_chat', room_version: '10', initial_state: [joinRules] })).json.room_id as string;
      // Locally: carol joins the allowed room first, dave does not.
      const carol = await registerUser(a, 'carol');
      const dave = await registerUser(a, 'dave');
      expect((await call(a, carol, 'POST', `/join/${encodeURIComponent(space)}`, {})).status).to.equal(200);
      const carolJoin = await call(a, carol, 'POST', `/join/${encodeURIComponent(restricted)}`, {});
      expect(carolJoin.status, carolJoin.text).to.equal(200);
      const carolMember = await call(a, carol, 'GET', `/rooms/${encodeURIComponent(restricted)}/state/m.room.member/${encodeURIComponent(carol.userId)}`);
      expect(carolMember.json.join_authorised_via_users_server).to.equal(alice.userId);
      expect((await call(a, dave, 'POST', `/join/${encodeURIComponent(restricted)}`, {})).status).to.equal(403);
      // Over federation: bob is in the allowed room, eve is not.
      const eve = await registerUser(b, 'eve');
      expect((await call(b, bob, 'POST', `/join/${encodeURIComponent(space)}?via=a.test`, {})).status).to.equal(200);
      const bobJoin = await call(b, bob, 'POST', `/join/${encodeURIComponent(restricted)}?via=a.test`, {});
      expect(bobJoin.status, bobJoin.text).to.equal(200);
      expect(await members(b, bob, restricted)).to.include(bob.userId);
      const eveJoin = await call(b, eve, 'POST', `/join/${encodeURIComponent(restricted)}?via=a.test`, {});
      expect(eveJoin.status).to.equal(403);
    });

    it('a join refused by the room (invite only) is answered 403 M_FORBIDDEN on the joining server', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'private_chat' })).json.room_id as string;
      const refused = await call(b, bob, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {});
      expect(refused.status).to.equal(403);
      expect(refused.json.errcode).to.equal('M_FORBIDDEN');
    });

    it('a room unknown everywhere is 404 M_NOT_FOUND; without a server to ask, too', async function () {
      const unknown = await call(b, bob, 'POST', `/join/${encodeURIComponent('!doesnotexist:a.test')}`, {});
      expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
      const noServer = await call(b, bob, 'POST', `/join/${encodeURIComponent(`!${'A'.repeat(43)}`)}`, {});
      expect(noServer.json.errcode).to.equal('M_NOT_FOUND');
    });
  });
}
