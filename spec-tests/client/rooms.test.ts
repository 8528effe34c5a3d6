import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api rooms: creation, membership, sending and reading on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'rooms.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      carol = await registerUser(server(), 'carol');
    });

    for (const version of ['1', '3', '10', '11', '12']) {
      it(`"Creation": createRoom in room version ${version} sends the spec's events in order, and the creator can chat`, async function () {
        const created = await api(alice, 'POST', '/createRoom', { room_version: version, name: `Room v${version}`, topic: 'A topic', preset: 'private_chat' });
        expect(created.status, JSON.stringify(created.json)).to.equal(200);
        const roomId: string = created.json.room_id;
        if (version === '12') expect(roomId).to.match(/^![A-Za-z0-9_-]{43}$/);
        else expect(roomId).to.match(/^![A-Za-z]+:rooms\.test$/);

        const state = await api(alice, 'GET', `${room(roomId)}/state`);
        const types = state.json.map((event: { type: string }) => event.type).sort();
        expect(types).to.deep.equal(['m.room.create', 'm.room.guest_access', 'm.room.history_visibility', 'm.room.join_rules', 'm.room.member', 'm.room.name', 'm.room.power_levels', 'm.room.topic']);
        const create = state.json.find((event: { type: string }) => event.type === 'm.room.create');
        expect(create.content.room_version).to.equal(version);
        const powerLevels = (await api(alice, 'GET', `${room(roomId)}/state/m.room.power_levels`)).json;
        // "Creation" step 3: v12 creators are not listed and tombstones need more than state_default.
        if (version === '12') {
          expect(powerLevels.users).to.deep.equal({});
          expect(powerLevels.events['m.room.tombstone']).to.equal(150);
        } else {
          expect(powerLevels.users).to.deep.equal({ [alice.userId]: 100 });
        }

        const sent = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hello' });
        expect(sent.status).to.equal(200);
        const event = await api(alice, 'GET', `${room(roomId)}/event/${encodeURIComponent(sent.json.event_id)}`);
        expect(event.json).to.include({ event_id: sent.json.event_id, type: 'm.room.message', sender: alice.userId, room_id: roomId });
        expect(event.json.content).to.deep.equal({ msgtype: 'm.text', body: 'hello' });
      });
    }

    it('"Transaction identifiers": the same txnId from the same device sends once; another txnId sends again', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      const first = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/same`, { msgtype: 'm.text', body: 'once' });
      const again = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/same`, { msgtype: 'm.text', body: 'once' });
      const other = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/other`, { msgtype: 'm.text', body: 'once' });
      expect(again.json.event_id).to.equal(first.json.event_id);
      expect(other.json.event_id).to.not.equal(first.json.event_id);
      const messages = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=50`);
      expect(messages.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message')).to.have.length(2);
    });

    it('"Room membership": invite, join, leave, kick, ban and unban go through the auth rules', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'private_chat' })).json.room_id;
      // Not invited: the invite-only join rule refuses.
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: bob.userId })).status).to.equal(200);
      expect((await api(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).json).to.deep.equal({ room_id: roomId });
      expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.include(roomId);
      const joined = await api(bob, 'GET', `${room(roomId)}/joined_members`);
      expect(Object.keys(joined.json.joined).sort()).to.deep.equal([alice.userId, bob.userId].sort());
      // Bob (power 0) may not kick Alice.
      expect((await api(bob, 'POST', `${room(roomId)}/kick`, { user_id: alice.userId })).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(alice, 'POST', `${room(roomId)}/kick`, { user_id: bob.userId, reason: 'bye' })).status).to.equal(200);
      expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.not.include(roomId);
      expect((await api(alice, 'POST', `${room(roomId)}/ban`, { user_id: bob.userId })).status).to.equal(200);
      expect((await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: bob.userId })).json.errcode).to.equal('M_FORBIDDEN');
      const members = await api(alice, 'GET', `${room(roomId)}/members?membership=ban`);
      expect(members.json.chunk.map((e: { state_key: string }) => e.state_key)).to.deep.equal([bob.userId]);
      expect((await api(alice, 'POST', `${room(roomId)}/unban`, { user_id: bob.userId })).status).to.equal(200);
      expect((await api(alice, 'GET', `${room(roomId)}/members?not_membership=leave`)).json.chunk).to.have.length(1);
    });

    it('"Leaving rooms": a user who left reads the state as it was when they left, then forgets the room', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'Before' })).json.room_id;
      await api(carol, 'POST', `${room(roomId)}/join`, {});
      expect((await api(carol, 'POST', `${room(roomId)}/forget`)).status).to.equal(400);
      await api(carol, 'POST', `${room(roomId)}/leave`, {});
      await api(alice, 'PUT', `${room(roomId)}/state/m.room.name`, { name: 'After' });
      expect((await api(carol, 'GET', `${room(roomId)}/state/m.room.name`)).json).to.deep.equal({ name: 'Before' });
      expect((await api(carol, 'PUT', `${room(roomId)}/send/m.room.message/x`, { body: 'hi', msgtype: 'm.text' })).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(carol, 'POST', `${room(roomId)}/forget`)).status).to.equal(200);
    });

    it('"Permissions": state changes need the power level the room asks for', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const denied = await api(bob, 'PUT', `${room(roomId)}/state/m.room.name/`, { name: 'Bob was here' });
      expect(denied.status).to.equal(403);
      expect(denied.json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(alice, 'PUT', `${room(roomId)}/state/m.room.name/`, { name: 'Alice' })).status).to.equal(200);
      expect((await api(bob, 'GET', `${room(roomId)}/state/m.room.name/`)).json).to.deep.equal({ name: 'Alice' });
      // ClientEvent "prev_content": a replaced state event carries what it replaced.
      await api(alice, 'PUT', `${room(roomId)}/state/m.room.name/`, { name: 'Alice again' });
      const renamed = await api(bob, 'GET', `${room(roomId)}/state/m.room.name/?format=event`);
      expect(renamed.json.content).to.deep.equal({ name: 'Alice again' });
      expect(renamed.json.unsigned.prev_content).to.deep.equal({ name: 'Alice' });
      expect(renamed.json.unsigned.replaces_state).to.be.a('string');
      expect((await api(bob, 'GET', `${room(roomId)}/state/m.room.topic`)).json.errcode).to.equal('M_NOT_FOUND');
      // Membership of others has its own endpoints.
      expect((await api(alice, 'PUT', `${room(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`, { membership: 'leave' })).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"GET /messages" pages backwards and forwards with from/to tokens and filters', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      for (let i = 0; i < 5; i++) await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/p${i}`, { msgtype: 'm.text', body: `m${i}` });
      const filter = encodeURIComponent(JSON.stringify({ types: ['m.room.message'] }));
      const page1 = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=3&filter=${filter}`);
      expect(page1.json.chunk.map((e: { content: { body: string } }) => e.content.body)).to.deep.equal(['m4', 'm3', 'm2']);
      expect(page1.json.end).to.be.a('string');
      const page2 = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=3&from=${page1.json.end}&filter=${filter}`);
      expect(page2.json.chunk.map((e: { content: { body: string } }) => e.content.body)).to.deep.equal(['m1', 'm0']);
      const forward = await api(alice, 'GET', `${room(roomId)}/messages?dir=f&limit=2&from=${page2.json.end ?? page1.json.end}&filter=${filter}`);
      expect(forward.status).to.equal(200);
      const all = await api(alice, 'GET', `${room(roomId)}/messages?dir=f&limit=100`);
      expect(all.json.chunk[0].type).to.equal('m.room.create');
      expect(all.json.end).to.equal(undefined);
      expect((await api(alice, 'GET', `${room(roomId)}/messages?dir=x`)).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(bob, 'GET', `${room(roomId)}/messages?dir=b`)).json.errcode).to.equal('M_FORBIDDEN');
    });

    it('"GET /context" returns the event with those around it and the state at it', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/c${i}`, { msgtype: 'm.text', body: `c${i}` })).json.event_id);
      const context = await api(alice, 'GET', `${room(roomId)}/context/${encodeURIComponent(ids[2]!)}?limit=2`);
      expect(context.json.event.event_id).to.equal(ids[2]);
      expect(context.json.events_before.map((e: { event_id: string }) => e.event_id)).to.deep.equal([ids[1]]);
      expect(context.json.events_after.map((e: { event_id: string }) => e.event_id)).to.deep.equal([ids[3]]);
      expect(context.json.state.map((e: { type: string }) => e.type)).to.include('m.room.create');
    });

    it('"Redactions": the sender redacts their message, which loses its content; others need the redact level', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const aliceMessage = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/r1`, { msgtype: 'm.text', body: 'secret' })).json.event_id;
      const bobMessage = (await api(bob, 'PUT', `${room(roomId)}/send/m.room.message/r2`, { msgtype: 'm.text', body: 'oops' })).json.event_id;
      expect((await api(bob, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(aliceMessage)}/x1`, {})).json.errcode).to.equal('M_FORBIDDEN');
      const redaction = await api(bob, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(bobMessage)}/x2`, { reason: 'typo' });
      expect(redaction.status).to.equal(200);
      const event = await api(alice, 'GET', `${room(roomId)}/event/${encodeURIComponent(redaction.json.event_id)}`);
      expect(event.json.type).to.equal('m.room.redaction');
      expect(event.json.redacts ?? event.json.content.redacts).to.equal(bobMessage);
      // The redacted event is served stripped, with the redaction that stripped it.
      const redacted = await api(alice, 'GET', `${room(roomId)}/event/${encodeURIComponent(bobMessage)}`);
      expect(redacted.json.content).to.deep.equal({});
      expect(redacted.json.unsigned.redacted_because.event_id).to.equal(redaction.json.event_id);
      const listed = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=5`);
      expect(listed.json.chunk.find((e: { event_id: string }) => e.event_id === bobMessage).content).to.deep.equal({});
    });

    it('"Room aliases": create, resolve, list and delete; createRoom with room_alias_name sets the canonical alias', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { room_alias_name: 'lobby' })).json.room_id;
      expect((await api(bob, 'GET', `/directory/room/${encodeURIComponent('#lobby:rooms.test')}`)).json).to.deep.equal({ room_id: roomId, servers: ['rooms.test'] });
      expect((await api(alice, 'GET', `${room(roomId)}/state/m.room.canonical_alias`)).json).to.deep.equal({ alias: '#lobby:rooms.test' });
      expect((await api(bob, 'POST', '/createRoom', { room_alias_name: 'lobby' })).json.errcode).to.equal('M_ROOM_IN_USE');
      expect((await api(alice, 'PUT', `/directory/room/${encodeURIComponent('#second:rooms.test')}`, { room_id: roomId })).status).to.equal(200);
      expect((await api(alice, 'PUT', `/directory/room/${encodeURIComponent('#second:rooms.test')}`, { room_id: roomId })).status).to.equal(409);
      expect((await api(alice, 'GET', `${room(roomId)}/aliases`)).json.aliases).to.deep.equal(['#lobby:rooms.test', '#second:rooms.test']);
      expect((await api(bob, 'DELETE', `/directory/room/${encodeURIComponent('#second:rooms.test')}`)).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(alice, 'DELETE', `/directory/room/${encodeURIComponent('#second:rooms.test')}`)).status).to.equal(200);
      // The canonical alias must point to the room.
      const bad = await api(alice, 'PUT', `${room(roomId)}/state/m.room.canonical_alias`, { alias: '#nowhere:rooms.test' });
      expect(bad.json.errcode).to.equal('M_BAD_ALIAS');
      // Joining by alias.
      await api(alice, 'PUT', `${room(roomId)}/state/m.room.join_rules`, { join_rule: 'public' });
      expect((await api(bob, 'POST', `/join/${encodeURIComponent('#lobby:rooms.test')}`, {})).json).to.deep.equal({ room_id: roomId });
    });

    it('"Knocking": a user knocks on a knock room, and a member admits them with an invite', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { room_version: '10', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] })).json.room_id;
      expect((await api(carol, 'POST', `/knock/${encodeURIComponent(roomId)}`, { reason: 'let me in' })).json).to.deep.equal({ room_id: roomId });
      const members = await api(alice, 'GET', `${room(roomId)}/members?membership=knock`);
      expect(members.json.chunk[0].content).to.include({ membership: 'knock', reason: 'let me in' });
      await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: carol.userId });
      expect((await api(carol, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
    });

    it('"Published room directory": publish, list with filter and pagination, unpublish', async function () {
      const big = (await api(alice, 'POST', '/createRoom', { visibility: 'public', name: 'Big Plaza', topic: 'everyone' })).json.room_id;
      await api(bob, 'POST', `${room(big)}/join`, {});
      const small = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'Small Corner' })).json.room_id;
      expect((await api(alice, 'GET', `/directory/list/room/${encodeURIComponent(small)}`)).json).to.deep.equal({ visibility: 'private' });
      expect((await api(bob, 'PUT', `/directory/list/room/${encodeURIComponent(small)}`, { visibility: 'public' })).json.errcode).to.equal('M_FORBIDDEN');
      expect((await api(alice, 'PUT', `/directory/list/room/${encodeURIComponent(small)}`, { visibility: 'public' })).status).to.equal(200);
      const listed = await rawRequest(server().baseUrl, '/_matrix/client/v3/publicRooms?limit=1');
      expect(listed.json.chunk).to.have.length(1);
      expect(listed.json.chunk[0]).to.include({ room_id: big, name: 'Big Plaza', topic: 'everyone', num_joined_members: 2, join_rule: 'public', world_readable: false });
      const next = await rawRequest(server().baseUrl, `/_matrix/client/v3/publicRooms?limit=1&since=${listed.json.next_batch}`);
      expect(next.json.chunk.map((r: { room_id: string }) => r.room_id)).to.include(small);
      const searched = await api(bob, 'POST', '/publicRooms', { filter: { generic_search_term: 'corner' } });
      expect(searched.json.chunk.map((r: { room_id: string }) => r.room_id)).to.deep.equal([small]);
      await api(alice, 'PUT', `/directory/list/room/${encodeURIComponent(small)}`, { visibility: 'private' });
      expect((await api(bob, 'POST', '/publicRooms', { filter: { generic_search_term: 'corner' } })).json.chunk).to.deep.equal([]);
    });

    it('"User directory": finds users who share a room or sit in public rooms, by ID or display name', async function () {
      const dave = await registerUser(server(), 'dave');
      const erin = await registerUser(server(), 'erin');
      await api(dave, 'PUT', `/profile/${encodeURIComponent(dave.userId)}/displayname`, { displayname: 'Dave Directory' });
      const search = (user: TestUser, term: string) => api(user, 'POST', '/user_directory/search', { search_term: term });
      // Nobody shares a room with dave yet.
      expect((await search(erin, 'directory')).json).to.deep.equal({ results: [], limited: false });
      const roomId = (await api(dave, 'POST', '/createRoom', { preset: 'private_chat', invite: [erin.userId] })).json.room_id;
      await api(erin, 'POST', `${room(roomId)}/join`, {});
      expect((await search(erin, 'directory')).json.results).to.deep.equal([{ user_id: dave.userId, display_name: 'Dave Directory' }]);
      expect((await search(erin, 'dave')).json.results.map((r: { user_id: string }) => r.user_id)).to.deep.equal([dave.userId]);
      expect((await search(carol, 'dave')).json.results).to.deep.equal([]);
    });

    it('"Profiles": a new display name is carried into the member event of every joined room', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      await api(bob, 'PUT', `/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bobby' });
      const member = await api(alice, 'GET', `${room(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`);
      expect(member.json).to.deep.equal({ membership: 'join', displayname: 'Bobby' });
      expect((await api(alice, 'GET', `${room(roomId)}/joined_members`)).json.joined[bob.userId]).to.deep.equal({ display_name: 'Bobby' });
    });

    it('"GET /timestamp_to_event" finds the closest event in either direction', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', {})).json.room_id;
      const first = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/ts1`, { msgtype: 'm.text', body: 'first' })).json.event_id;
      const firstTs = (await api(alice, 'GET', `${room(roomId)}/event/${encodeURIComponent(first)}`)).json.origin_server_ts;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/ts2`, { msgtype: 'm.text', body: 'second' })).json.event_id;
      const at = (ts: number, dir: string) => rawRequest(server().baseUrl, `/_matrix/client/v1${room(roomId)}/timestamp_to_event?ts=${ts}&dir=${dir}`, { accessToken: alice.accessToken });
      expect((await at(firstTs + 1, 'f')).json.event_id).to.equal(second);
      expect((await at(firstTs, 'b')).json).to.deep.equal({ event_id: first, origin_server_ts: firstTs });
      expect((await at(Date.now() + 60_000, 'f')).json.errcode).to.equal('M_NOT_FOUND');
      expect((await at(firstTs, 'x')).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('refuses malformed room IDs, unknown rooms and unknown room versions with clear errors', async function () {
      expect((await api(alice, 'GET', '/rooms/not-a-room/state')).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await api(alice, 'POST', `${room('!nowhere:rooms.test')}/join`, {})).json.errcode).to.equal('M_NOT_FOUND');
      expect((await api(alice, 'POST', '/createRoom', { room_version: '99' })).json.errcode).to.equal('M_UNSUPPORTED_ROOM_VERSION');
      expect((await api(alice, 'POST', '/createRoom', { preset: 'nonsense' })).json.errcode).to.equal('M_BAD_JSON');
    });
  });
}
