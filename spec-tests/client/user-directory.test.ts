import { expect } from 'chai';
import { openDatabase } from '../../src/storage/database.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually, startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import { startTestHomeserver, useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';

const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
const ids = (response: RawResponse): string[] => response.json.results.map((result: { user_id: string }) => result.user_id);

/** Client-server calls against whichever server a test names. */
function on(server: () => TestHomeserver) {
  const api = clientApi(server);
  return {
    api,
    search: (user: TestUser, term: string, limit?: number) => api(user, 'POST', '/user_directory/search', { search_term: term, ...(limit === undefined ? {} : { limit }) }),
    setName: (user: TestUser, name: string) => api(user, 'PUT', `/profile/${encodeURIComponent(user.userId)}/displayname`, { displayname: name }),
    createRoom: async (user: TestUser, body: object) => (await api(user, 'POST', '/createRoom', body)).json.room_id as string,
    join: (user: TestUser, roomId: string) => api(user, 'POST', `${room(roomId)}/join`, {}),
    deactivate: (user: TestUser) =>
      api(user, 'POST', '/account/deactivate', { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password } }),
  };
}

for (const engine of testEngines) {
  describe(`client-server-api "User directory" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'directory.test', engine, config: { enable_registration: true } });
    const { api, search, setName, createRoom, join, deactivate } = on(server);

    it('finds a room-mate by a prefix of any word of their display name or user ID, exact and prefix matches first', async function () {
      const [alice, bob, carol] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol')];
      await setName(bob, 'Bob Alison');
      const roomId = await createRoom(alice, { preset: 'private_chat', invite: [bob.userId, carol.userId] });
      await join(bob, roomId);
      await join(carol, roomId);
      // "ali" starts alice's localpart (a prefix match) and a later word of bob's name (a word match).
      expect(ids(await search(carol, 'ali'))).to.deep.equal([alice.userId, bob.userId]);
      expect((await search(carol, 'ALISON')).json).to.deep.equal({ results: [{ user_id: bob.userId, display_name: 'Bob Alison' }], limited: false });
      // Every word of the term must match; the searcher is not listed; the server name is a word of the ID too.
      expect(ids(await search(carol, 'bob ali'))).to.deep.equal([bob.userId]);
      expect(ids(await search(carol, 'bob zed'))).to.deep.equal([]);
      expect(ids(await search(alice, 'alice'))).to.deep.equal([]);
      expect(ids(await search(carol, `@alice:${server().serverName}`))).to.deep.equal([alice.userId]);
      expect(ids(await search(carol, 'lison'))).to.deep.equal([]);
    });

    it('lists users of public rooms to everyone, and members of private rooms only to those who share one', async function () {
      const [host, dave, erin, frank, stranger] = [
        await registerUser(server(), 'host'),
        await registerUser(server(), 'dave'),
        await registerUser(server(), 'erin'),
        await registerUser(server(), 'frank'),
        await registerUser(server(), 'stranger'),
      ];
      await setName(dave, 'Dave Public');
      await setName(erin, 'Erin Private');
      const publicRoom = await createRoom(host, { preset: 'public_chat' });
      await join(dave, publicRoom);
      const privateRoom = await createRoom(frank, { preset: 'private_chat', invite: [erin.userId] });
      await join(erin, privateRoom);
      expect(ids(await search(stranger, 'public'))).to.deep.equal([dave.userId]);
      expect(ids(await search(stranger, 'private'))).to.deep.equal([]);
      expect(ids(await search(frank, 'private'))).to.deep.equal([erin.userId]);
      // A world-readable room counts as public too, even when it is invite-only.
      const readable = await createRoom(frank, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
      expect(ids(await search(stranger, 'frank'))).to.deep.equal([frank.userId]);
      // Once that room is no longer world-readable, frank shares nothing public with the stranger.
      await api(frank, 'PUT', `${room(readable)}/state/m.room.history_visibility`, { history_visibility: 'shared' });
      expect(ids(await search(stranger, 'frank'))).to.deep.equal([]);
      // Leaving the private room ends what erin and frank shared.
      await api(erin, 'POST', `${room(privateRoom)}/leave`, {});
      expect(ids(await search(frank, 'private'))).to.deep.equal([]);
    });

    it('follows display name changes', async function () {
      const [gina, hank] = [await registerUser(server(), 'gina'), await registerUser(server(), 'hank')];
      const roomId = await createRoom(gina, { preset: 'private_chat', invite: [hank.userId] });
      await join(hank, roomId);
      await setName(hank, 'Hank Original');
      expect(ids(await search(gina, 'original'))).to.deep.equal([hank.userId]);
      await setName(hank, 'Henry Renamed');
      expect(ids(await search(gina, 'original'))).to.deep.equal([]);
      expect((await search(gina, 'renamed')).json.results).to.deep.equal([{ user_id: hank.userId, display_name: 'Henry Renamed' }]);
      await api(hank, 'PUT', `/profile/${encodeURIComponent(hank.userId)}/avatar_url`, { avatar_url: 'mxc://directory.test/hank' });
      expect((await search(gina, 'renamed')).json.results).to.deep.equal([{ user_id: hank.userId, display_name: 'Henry Renamed', avatar_url: 'mxc://directory.test/hank' }]);
    });

    it('drops deactivated users', async function () {
      const [ivy, jack] = [await registerUser(server(), 'ivy'), await registerUser(server(), 'jack')];
      const roomId = await createRoom(ivy, { preset: 'private_chat', invite: [jack.userId] });
      await join(jack, roomId);
      expect(ids(await search(ivy, 'jack'))).to.deep.equal([jack.userId]);
      expect((await deactivate(jack)).status).to.equal(200);
      expect(ids(await search(ivy, 'jack'))).to.deep.equal([]);
    });

    it('says whether the results were limited', async function () {
      const owner = await registerUser(server(), 'owner');
      const roomId = await createRoom(owner, { preset: 'public_chat' });
      for (const name of ['many1', 'many2', 'many3']) await join(await registerUser(server(), name), roomId);
      expect((await search(owner, 'many', 2)).json).to.include({ limited: true }).and.to.have.property('results').with.length(2);
      expect((await search(owner, 'many', 3)).json).to.include({ limited: false }).and.to.have.property('results').with.length(3);
      expect(ids(await search(owner, 'many'))).to.deep.equal(['many1', 'many2', 'many3'].map((name) => `@${name}:directory.test`));
      expect((await search(owner, '!!!')).json).to.deep.equal({ results: [], limited: false });
    });
  });

  describe(`client-server-api "User directory" with search_all_users on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'all-users.test', engine, config: { enable_registration: true, user_directory: { search_all_users: true } } });
    const { search, deactivate } = on(server);

    it('finds every local user, in a room or not, but not deactivated ones', async function () {
      const [kim, lonely, gone] = [await registerUser(server(), 'kim'), await registerUser(server(), 'lonely'), await registerUser(server(), 'lonelygone')];
      expect(ids(await search(kim, 'lonely'))).to.deep.equal([lonely.userId, gone.userId]);
      await deactivate(gone);
      expect(ids(await search(kim, 'lonely'))).to.deep.equal([lonely.userId]);
    });
  });

  describe(`client-server-api "User directory" turned off on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'no-directory.test', engine, config: { enable_registration: true, user_directory: { enabled: false, search_all_users: true } } });
    const { search } = on(server);

    it('finds nobody', async function () {
      const [mia] = [await registerUser(server(), 'mia'), await registerUser(server(), 'mike')];
      expect((await search(mia, 'mike')).json).to.deep.equal({ results: [], limited: false });
    });
  });

  describe(`client-server-api "User directory" on a database from before the directory, on ${engine}`, function () {
    it('indexes at start the users and rooms the directory does not hold yet', async function () {
      const first = await startTestHomeserver({ serverName: 'upgrade.test', engine, config: { enable_registration: true } });
      const before = on(() => first);
      const [nina, oscar] = [await registerUser(first, 'nina'), await registerUser(first, 'oscar')];
      await before.setName(oscar, 'Oscar Upgrade');
      await before.join(oscar, await before.createRoom(nina, { preset: 'public_chat' }));
      await first.stop({ keepData: true });
      const db = openDatabase(first.database.options);
      for (const table of ['user_directory_search', 'user_directory', 'user_directory_rooms']) await db(table).delete();
      await db.destroy();
      const second = await startTestHomeserver({ reuse: first, engine });
      try {
        expect((await on(() => second).search(nina, 'upgrade')).json.results).to.deep.equal([{ user_id: oscar.userId, display_name: 'Oscar Upgrade' }]);
      } finally {
        await second.stop();
      }
    });
  });

  describe(`client-server-api "User directory" across two servers over TLS on ${engine}`, function () {
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    before(async function () {
      federation = await startFederatedServers(['dir-a.test', 'dir-b.test'], { engine, config: { user_directory: { prefer_local_users: true } } });
      [a, b] = federation.servers as [TestHomeserver, TestHomeserver];
    });
    after(() => federation.stop());

    it('lists users of other servers under their member event names, both ways, local users first with prefer_local_users', async function () {
      const onA = on(() => a);
      const onB = on(() => b);
      const [alice, bobby, carol] = [await registerUser(a, 'alice'), await registerUser(a, 'bobby'), await registerUser(a, 'carol')];
      const bob = await registerUser(b, 'bob');
      await onA.setName(alice, 'Alice Host');
      await onB.setName(bob, 'Remote Bob');
      const roomId = await onA.createRoom(alice, { preset: 'public_chat' });
      await onA.join(bobby, roomId);
      const joined = await rawRequest(b.baseUrl, `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${a.serverName}`, { body: {}, accessToken: bob.accessToken });
      expect(joined.status, joined.text).to.equal(200);

      // a.test learnt of bob from his join event; carol shares no room but the room is public.
      const found = await eventually(async () => {
        const response = await onA.search(carol, 'remote');
        return response.json.results.length > 0 && response.json.results;
      }, 10_000, 'bob listed on a.test');
      expect(found).to.deep.equal([{ user_id: bob.userId, display_name: 'Remote Bob' }]);
      // "bob" is bob's whole localpart but bobby is local: local users come first.
      expect(ids(await onA.search(carol, 'bob'))).to.deep.equal([bobby.userId, bob.userId]);
      // b.test joined over federation: alice's member event came as the room's state, not the timeline.
      const host = await eventually(async () => (await onB.search(bob, 'host')).json.results[0], 10_000, 'alice listed on b.test');
      expect(host).to.deep.equal({ user_id: alice.userId, display_name: 'Alice Host' });

      // A new name in bob's member event reaches a.test's directory.
      await onB.setName(bob, 'Renamed Bob');
      await eventually(async () => ids(await onA.search(carol, 'renamed')).includes(bob.userId), 10_000, 'the new name on a.test');
      expect(ids(await onA.search(carol, 'remote'))).to.deep.equal([]);
    });
  });
}
