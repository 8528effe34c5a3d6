/**
 * client-server-api "Room Upgrades" (modules/room_upgrades.md, data/api/client-server/room_upgrades.yaml):
 * POST /rooms/{roomId}/upgrade and the server behaviour it triggers in the old and the new room.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Room Upgrades" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'upgrade.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    const state = async (user: TestUser, roomId: string, type: string, stateKey = '') => {
      const response = await api(user, 'GET', `${room(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`);
      return response.status === 200 ? response.json : undefined;
    };
    const createEvent = async (user: TestUser, roomId: string) => (await api(user, 'GET', `${room(roomId)}/state`)).json.find((event: { type: string }) => event.type === 'm.room.create');
    const upgrade = (user: TestUser, roomId: string, body: object) => api(user, 'POST', `${room(roomId)}/upgrade`, body);
    const createRoom = async (user: TestUser, body: object): Promise<string> => {
      const response = await api(user, 'POST', '/createRoom', body);
      expect(response.status, response.text).to.equal(200);
      return response.json.room_id;
    };

    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let eve: TestUser;
    before(async function () {
      [alice, bob, carol, eve] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol'), await registerUser(server(), 'eve')];
    });

    describe('a public room upgraded from version 10 to 11', function () {
      let oldRoom: string;
      let newRoom: string;
      const powerLevels = { users: { '@alice:upgrade.test': 100, '@bob:upgrade.test': 40 }, users_default: 0, events_default: 0, invite: 0, state_default: 50, events: { 'm.room.tombstone': 100, 'm.room.power_levels': 100, 'org.example.custom': 30 } };
      const copied: Array<[string, object]> = [
        ['m.room.name', { name: 'Old and tired' }],
        ['m.room.topic', { topic: 'upgrading' }],
        ['m.room.avatar', { url: 'mxc://upgrade.test/avatar' }],
        ['m.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2' }],
        ['m.room.server_acl', { allow: ['*'], deny: ['evil.example'], allow_ip_literals: false }],
        ['m.room.history_visibility', { history_visibility: 'world_readable' }],
        ['m.room.guest_access', { guest_access: 'forbidden' }],
        ['m.room.join_rules', { join_rule: 'public' }],
      ];

      before(async function () {
        oldRoom = await createRoom(alice, {
          room_version: '10',
          visibility: 'public',
          preset: 'public_chat',
          room_alias_name: 'tired',
          power_level_content_override: powerLevels,
          initial_state: copied.map(([type, content]) => ({ type, state_key: '', content })),
        });
        expect((await api(alice, 'PUT', '/directory/room/%23tired-too%3Aupgrade.test', { room_id: oldRoom })).status).to.equal(200);
        const alias = await api(alice, 'PUT', `${room(oldRoom)}/state/m.room.canonical_alias/`, { alias: '#tired:upgrade.test', alt_aliases: ['#tired-too:upgrade.test', '#elsewhere:other.example'] });
        expect(alias.status, alias.text).to.equal(200);
        for (const user of [bob, eve]) expect((await api(user, 'POST', `${room(oldRoom)}/join`, {})).status).to.equal(200);
        expect((await api(alice, 'POST', `${room(oldRoom)}/ban`, { user_id: eve.userId, reason: 'spam' })).status).to.equal(200);
        const response = await upgrade(alice, oldRoom, { new_version: '11' });
        expect(response.status, response.text).to.equal(200);
        newRoom = response.json.replacement_room;
        expect(newRoom).to.be.a('string').and.not.equal(oldRoom);
      });

      it('step 5: the old room has an m.room.tombstone naming the replacement room', async function () {
        expect(await state(bob, oldRoom, 'm.room.tombstone')).to.deep.include({ replacement_room: newRoom });
      });

      it('step 2: the replacement room\'s m.room.create has the predecessor (room and last known event) and the new room_version', async function () {
        const create = await createEvent(alice, newRoom);
        expect(create.content.room_version).to.equal('11');
        expect(create.content.predecessor.room_id).to.equal(oldRoom);
        expect(create.content.predecessor.event_id).to.match(/^\$/);
        expect(create.sender).to.equal(alice.userId);
      });

      it('step 3: the transferable state is replicated', async function () {
        for (const [type, content] of copied) expect(await state(alice, newRoom, type), type).to.deep.equal(content);
      });

      it('step 3: the power levels are the old room\'s, the upgrading user\'s own level unchanged', async function () {
        const levels = await state(alice, newRoom, 'm.room.power_levels');
        expect(levels.users).to.deep.equal(powerLevels.users);
        expect(levels.events).to.deep.equal(powerLevels.events);
        expect(levels).to.include({ events_default: 0, invite: 0, state_default: 50 });
      });

      it('step 4: local aliases move to the new room with this server\'s part of the canonical alias; the other server\'s alias stays', async function () {
        for (const alias of ['#tired:upgrade.test', '#tired-too:upgrade.test']) {
          expect((await api(bob, 'GET', `/directory/room/${encodeURIComponent(alias)}`)).json.room_id, alias).to.equal(newRoom);
        }
        expect(await state(alice, newRoom, 'm.room.canonical_alias')).to.deep.equal({ alias: '#tired:upgrade.test', alt_aliases: ['#tired-too:upgrade.test'] });
        expect(await state(alice, oldRoom, 'm.room.canonical_alias')).to.deep.equal({ alt_aliases: ['#elsewhere:other.example'] });
      });

      it('step 6: the old room\'s events_default and invite are raised to max(50, users_default + 1)', async function () {
        expect(await state(alice, oldRoom, 'm.room.power_levels')).to.include({ events_default: 50, invite: 50 });
        const refused = await api(bob, 'PUT', `${room(oldRoom)}/send/m.room.message/after-upgrade`, { msgtype: 'm.text', body: 'still here?' });
        expect([refused.status, refused.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      });

      it('bans are copied to the replacement room; other memberships are not', async function () {
        expect(await state(alice, newRoom, 'm.room.member', eve.userId)).to.deep.include({ membership: 'ban', reason: 'spam' });
        expect(await state(alice, newRoom, 'm.room.member', bob.userId)).to.equal(undefined);
        expect((await api(eve, 'POST', `${room(newRoom)}/join`, {})).json.errcode).to.equal('M_FORBIDDEN');
      });

      it('the published room directory lists the replacement room instead of the old one', async function () {
        const listed = (await api(bob, 'GET', '/publicRooms')).json.chunk.map((entry: { room_id: string }) => entry.room_id);
        expect(listed).to.include(newRoom).and.not.include(oldRoom);
      });

      it('a member of the old room sees the tombstone in /sync and joins the public replacement room', async function () {
        const client = await createTestClient(server(), { userId: bob.userId, accessToken: bob.accessToken });
        const sync = (await api(bob, 'GET', `/sync?filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`)).json;
        const joined = sync.rooms.join[oldRoom];
        const events = [...joined.state.events, ...joined.timeline.events];
        expect(events.find((event: { type: string }) => event.type === 'm.room.tombstone')?.content.replacement_room).to.equal(newRoom);
        await client.joinRoom(newRoom);
        expect((await api(bob, 'GET', '/joined_rooms')).json.joined_rooms).to.include(newRoom);
        client.stopClient();
      });
    });

    it('step 2: a space stays a space (the create event\'s `type`) and keeps its children', async function () {
      const space = await createRoom(alice, { room_version: '11', preset: 'public_chat', creation_content: { type: 'm.space' } });
      const child = await createRoom(alice, { preset: 'public_chat' });
      expect((await api(alice, 'PUT', `${room(space)}/state/m.space.child/${encodeURIComponent(child)}`, { via: ['upgrade.test'] })).status).to.equal(200);
      const replacement = (await upgrade(alice, space, { new_version: '12' })).json.replacement_room;
      const create = await createEvent(alice, replacement);
      expect(create.content).to.deep.include({ type: 'm.space', room_version: '12' });
      expect(create.content.predecessor.room_id).to.equal(space);
      expect(await state(alice, replacement, 'm.space.child', child)).to.deep.equal({ via: ['upgrade.test'] });
    });

    it('a room without a type gets none in its replacement either', async function () {
      const roomId = await createRoom(alice, { room_version: '11', preset: 'private_chat' });
      const replacement = (await upgrade(alice, roomId, { new_version: '11' })).json.replacement_room;
      expect((await createEvent(alice, replacement)).content).not.to.have.property('type');
    });

    it('an unsupported new_version is 400 M_UNSUPPORTED_ROOM_VERSION and nothing changes', async function () {
      const roomId = await createRoom(alice, { preset: 'private_chat' });
      const response = await upgrade(alice, roomId, { new_version: '9001' });
      expect([response.status, response.json.errcode]).to.deep.equal([400, 'M_UNSUPPORTED_ROOM_VERSION']);
      expect(await state(alice, roomId, 'm.room.tombstone')).to.equal(undefined);
    });

    it('a missing new_version is a bad request', async function () {
      const roomId = await createRoom(alice, { preset: 'private_chat' });
      const response = await upgrade(alice, roomId, {});
      expect(response.status).to.equal(400);
    });

    it('step 1: a member without the power to send m.room.tombstone gets 403 M_FORBIDDEN, as does a non-member', async function () {
      const roomId = await createRoom(alice, { room_version: '11', preset: 'public_chat' });
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      const member = await upgrade(bob, roomId, { new_version: '12' });
      expect([member.status, member.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      const outsider = await upgrade(carol, roomId, { new_version: '12' });
      expect([outsider.status, outsider.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      expect(await state(alice, roomId, 'm.room.tombstone')).to.equal(undefined);
    });

    it('an unknown room is 404 M_NOT_FOUND', async function () {
      const response = await upgrade(alice, '!nowhere:upgrade.test', { new_version: '12' });
      expect([response.status, response.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
    });

    it('the upgrading user is raised while the state is copied (an event above their level) and restored afterwards', async function () {
      const roomId = await createRoom(alice, {
        room_version: '11',
        preset: 'public_chat',
        power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 150 }, events: { 'm.room.server_acl': 150, 'm.room.tombstone': 100 } },
      });
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      const acl = { allow: ['*'], deny: ['bad.example'], allow_ip_literals: true };
      expect((await api(bob, 'PUT', `${room(roomId)}/state/m.room.server_acl/`, acl)).status).to.equal(200);
      const response = await upgrade(alice, roomId, { new_version: '11' });
      expect(response.status, response.text).to.equal(200);
      const replacement = response.json.replacement_room;
      expect(await state(alice, replacement, 'm.room.server_acl')).to.deep.equal(acl);
      expect((await state(alice, replacement, 'm.room.power_levels')).users).to.deep.equal({ [alice.userId]: 100, [bob.userId]: 150 });
    });

    describe('room version 12 (privileged creators)', function () {
      it('additional_creators become creators of the replacement room; creators leave the users map, others keep their level', async function () {
        const roomId = await createRoom(alice, { room_version: '11', preset: 'public_chat', power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50, [carol.userId]: 100 } } });
        const response = await upgrade(alice, roomId, { new_version: '12', additional_creators: [carol.userId] });
        expect(response.status, response.text).to.equal(200);
        const replacement = response.json.replacement_room;
        const create = await createEvent(alice, replacement);
        expect(create.content.additional_creators).to.deep.equal([carol.userId]);
        expect(create.content).not.to.have.property('creator');
        expect((await state(alice, replacement, 'm.room.power_levels')).users).to.deep.equal({ [bob.userId]: 50 });
        // carol, a creator, has unlimited power once she joins.
        expect((await api(carol, 'POST', `${room(replacement)}/join`, {})).status).to.equal(200);
        expect((await api(carol, 'PUT', `${room(replacement)}/state/m.room.power_levels/`, { users: { [bob.userId]: 99 } })).status).to.equal(200);
      });

      it('the old room\'s additional creators are not carried over unless named again', async function () {
        const roomId = await createRoom(alice, { room_version: '12', preset: 'trusted_private_chat', invite: [carol.userId] });
        expect((await createEvent(alice, roomId)).content.additional_creators).to.deep.equal([carol.userId]);
        const replacement = (await upgrade(alice, roomId, { new_version: '12' })).json.replacement_room;
        expect((await createEvent(alice, replacement)).content).not.to.have.property('additional_creators');
      });

      it('additional_creators is ignored when the new version has no privileged creators', async function () {
        const roomId = await createRoom(alice, { room_version: '11', preset: 'public_chat' });
        const replacement = (await upgrade(alice, roomId, { new_version: '11', additional_creators: [carol.userId] })).json.replacement_room;
        expect((await createEvent(alice, replacement)).content).not.to.have.property('additional_creators');
      });

      it('an invalid user ID in additional_creators is refused', async function () {
        const roomId = await createRoom(alice, { room_version: '11', preset: 'public_chat' });
        const response = await upgrade(alice, roomId, { new_version: '12', additional_creators: ['not a user'] });
        expect([response.status, response.json.errcode]).to.deep.equal([400, 'M_INVALID_PARAM']);
      });

      it('upgrading a version 12 room to version 11: the creator gets the highest level the room names', async function () {
        const roomId = await createRoom(alice, { room_version: '12', preset: 'public_chat', power_level_content_override: { users: { [bob.userId]: 50 } } });
        expect((await state(alice, roomId, 'm.room.power_levels')).events['m.room.tombstone']).to.equal(150);
        const replacement = (await upgrade(alice, roomId, { new_version: '11' })).json.replacement_room;
        expect((await state(alice, replacement, 'm.room.power_levels')).users).to.deep.equal({ [alice.userId]: 150, [bob.userId]: 50 });
        // The creator keeps the power to upgrade again (the tombstone needs 150).
        expect((await api(alice, 'POST', `${room(replacement)}/upgrade`, { new_version: '12' })).status).to.equal(200);
      });
    });

    it('concurrent upgrades of one room create one replacement room', async function () {
      const roomId = await createRoom(alice, { room_version: '11', preset: 'public_chat' });
      const before = (await api(alice, 'GET', '/joined_rooms')).json.joined_rooms.length;
      const answers = await Promise.all([upgrade(alice, roomId, { new_version: '12' }), upgrade(alice, roomId, { new_version: '12' }), upgrade(alice, roomId, { new_version: '12' })]);
      for (const answer of answers) expect(answer.status, answer.text).to.equal(200);
      expect(new Set(answers.map((answer) => answer.json.replacement_room)).size).to.equal(1);
      expect((await api(alice, 'GET', '/joined_rooms')).json.joined_rooms.length).to.equal(before + 1);
    });

    it('"When a user joins the new room": their tags, m.direct entry and push rules for the old room follow them', async function () {
      const oldRoom = await createRoom(alice, { preset: 'public_chat' });
      expect((await api(bob, 'POST', `/join/${encodeURIComponent(oldRoom)}`, {})).status).to.equal(200);
      const bobId = encodeURIComponent(bob.userId);
      expect((await api(bob, 'PUT', `/user/${bobId}/rooms/${encodeURIComponent(oldRoom)}/tags/u.work`, { order: 0.5 })).status).to.equal(200);
      expect((await api(bob, 'PUT', `/user/${bobId}/account_data/m.direct`, { [alice.userId]: [oldRoom] })).status).to.equal(200);
      expect((await api(bob, 'PUT', `/pushrules/global/room/${encodeURIComponent(oldRoom)}`, { actions: [] })).status).to.equal(200);
      const keyword = `keyword-${oldRoom}`;
      const conditions = [{ kind: 'event_match', key: 'room_id', pattern: oldRoom }, { kind: 'event_match', key: 'content.body', pattern: 'deploy' }];
      expect((await api(bob, 'PUT', `/pushrules/global/override/${encodeURIComponent(keyword)}`, { actions: ['notify'], conditions })).status).to.equal(200);

      const upgraded = await upgrade(alice, oldRoom, { new_version: '12' });
      expect(upgraded.status, upgraded.text).to.equal(200);
      const newRoom = upgraded.json.replacement_room as string;
      expect((await api(bob, 'POST', `/join/${encodeURIComponent(newRoom)}`, {})).status).to.equal(200);

      expect((await api(bob, 'GET', `/user/${bobId}/rooms/${encodeURIComponent(newRoom)}/tags`)).json.tags).to.deep.equal({ 'u.work': { order: 0.5 } });
      expect((await api(bob, 'GET', `/user/${bobId}/account_data/m.direct`)).json).to.deep.equal({ [alice.userId]: [oldRoom, newRoom] });
      expect((await api(bob, 'GET', `/pushrules/global/room/${encodeURIComponent(newRoom)}`)).json.actions).to.deep.equal([]);
      const copiedRule = await api(bob, 'GET', `/pushrules/global/override/${encodeURIComponent(`keyword-${newRoom}`)}`);
      expect(copiedRule.status, copiedRule.text).to.equal(200);
      expect(copiedRule.json.conditions).to.deep.equal([{ kind: 'event_match', key: 'room_id', pattern: newRoom }, conditions[1]]);
    });
  });
}
