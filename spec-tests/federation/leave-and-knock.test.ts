/**
 * server-server-api "Leaving Rooms (Rejecting Invites)" and "Knocking upon a room" between Lattice
 * servers over TLS: a user of b.test leaves a.test's room, rejects an invite through make_leave /
 * send_leave (driven here with b.test's signed requests), knocks on a.test's room through make_knock /
 * send_knock (the knock in b.test's /sync under `knock`, with the room's stripped state, and in the
 * room's state on a.test and on c.test, a third server of the room) and retracts the knock; and what
 * the resident server refuses: a knock on a public room, a room version the knocking server lacks.
 */
import { expect } from 'chai';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { buildEvent } from '../../src/core/events/build-event.ts';
import type { RoomId, UserId } from '../../src/core/ids/identifiers.ts';
import { getRoomVersion, supportedRoomVersions } from '../../src/core/room-versions/known-versions.ts';
import { references } from '../../src/services/federation/joins/remote-join.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually, startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawResponse, clientCall as call } from '../harness/requests.ts';
import { xMatrixAuthorization } from '../harness/server-requests.ts';

const knockingVersions = supportedRoomVersions.filter((version) => getRoomVersion(version).knocking);

for (const engine of testEngines) {
  describe(`server-server-api "Leaving Rooms" and "Knocking upon a room" between servers over TLS on ${engine}`, function () {
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    let c: TestHomeserver;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    const room = (id: string) => encodeURIComponent(id);
    const membershipOf = async (server: TestHomeserver, viewer: TestUser, roomId: string, userId: string) =>
      (await call(server, viewer, 'GET', `/rooms/${room(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`)).json.membership as string | undefined;
    /** A request to a.test signed by b.test (server-server-api "Request Authentication"). */
    const fromB = (method: 'GET' | 'PUT', path: string, body?: JsonObject): Promise<RawResponse> => {
      const authorization = xMatrixAuthorization({ method, uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
      return rawRequest(a.baseUrl, path, { method, body, headers: { authorization } });
    };
    /** The event b.test builds and signs from a make_* template (as RemoteMembership does). */
    const signedByB = (made: { room_version: string; event: JsonObject }, content: JsonObject = {}) => {
      const template = made.event;
      return buildEvent(
        {
          rules: getRoomVersion(made.room_version),
          roomId: template.room_id as RoomId,
          type: 'm.room.member',
          stateKey: template.state_key as string,
          sender: template.sender as UserId,
          content: { ...(template.content as JsonObject), ...content },
          prevEvents: references(template.prev_events),
          authEvents: references(template.auth_events),
          depth: template.depth as number,
          originServerTs: Date.now(),
        },
        { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey },
      ).event;
    };
    const createRoom = async (body: object): Promise<string> => {
      const created = await call(a, alice, 'POST', '/createRoom', body);
      expect(created.status, created.text).to.equal(200);
      return created.json.room_id as string;
    };
    const knockRoom = (version: string, name = 'Knock knock') =>
      createRoom({ preset: 'private_chat', room_version: version, name, initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    const syncToken = async (user: TestUser, server: TestHomeserver) => (await call(server, user, 'GET', '/sync')).json.next_batch as string;

    before(async function () {
      federation = await startFederatedServers(['a.test', 'b.test', 'c.test'], { engine });
      [a, b, c] = federation.servers as [TestHomeserver, TestHomeserver, TestHomeserver];
      alice = await registerUser(a, 'alice');
      bob = await registerUser(b, 'bob');
      carol = await registerUser(c, 'carol');
    });
    after(() => federation.stop());

    /** carol@c.test joins the room (opened to her for the moment), so a.test has another server to pass events on to. */
    const carolJoins = async (roomId: string) => {
      await call(a, alice, 'POST', `/rooms/${room(roomId)}/invite`, { user_id: carol.userId });
      const joined = await call(c, carol, 'POST', `/join/${room(roomId)}?via=a.test`, {});
      expect(joined.status, joined.text).to.equal(200);
      await eventually(async () => (await membershipOf(a, alice, roomId, carol.userId)) === 'join', 10_000, 'carol joining on a.test');
    };

    it('bob@b.test leaves a room of a.test he joined: both servers see the leave ("Leaving Rooms": a member\'s leave goes out as any event)', async function () {
      const roomId = await createRoom({ preset: 'public_chat' });
      expect((await call(b, bob, 'POST', `/join/${room(roomId)}?via=a.test`, {})).status).to.equal(200);
      await eventually(async () => (await membershipOf(a, alice, roomId, bob.userId)) === 'join', 10_000, 'the join reaching a.test');
      const left = await call(b, bob, 'POST', `/rooms/${room(roomId)}/leave`, {});
      expect(left.status, left.text).to.equal(200);
      const onB = await call(b, bob, 'GET', `/rooms/${room(roomId)}/members`);
      expect(onB.json.chunk.find((e: { state_key: string }) => e.state_key === bob.userId).content.membership).to.equal('leave');
      await eventually(async () => (await membershipOf(a, alice, roomId, bob.userId)) === 'leave', 10_000, 'the leave reaching a.test');
    });

    it('make_leave / send_leave (v2) reject an invite of bob@b.test: the leave enters the room on a.test and reaches c.test', async function () {
      const roomId = await createRoom({ preset: 'private_chat' });
      await carolJoins(roomId);
      const invited = await call(a, alice, 'POST', `/rooms/${room(roomId)}/invite`, { user_id: bob.userId });
      expect(invited.status, invited.text).to.equal(200);

      const made = await fromB('GET', `/_matrix/federation/v1/make_leave/${room(roomId)}/${encodeURIComponent(bob.userId)}`);
      expect(made.status, made.text).to.equal(200);
      expect(made.json.room_version).to.equal('12');
      expect(made.json.event).to.include({ room_id: roomId, sender: bob.userId, state_key: bob.userId, type: 'm.room.member' });
      expect(made.json.event.content.membership).to.equal('leave');

      const leave = signedByB(made.json, { reason: 'no thanks' });
      const sent = await fromB('PUT', `/_matrix/federation/v2/send_leave/${room(roomId)}/${encodeURIComponent(leave.eventId)}`, leave.pdu);
      expect(sent.status, sent.text).to.equal(200);
      expect(sent.json).to.deep.equal({});
      const member = await call(a, alice, 'GET', `/rooms/${room(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`);
      expect(member.json).to.deep.include({ membership: 'leave', reason: 'no thanks' });
      // "The resident server will then send the event to other servers in the room."
      await eventually(async () => (await membershipOf(c, carol, roomId, bob.userId)) === 'leave', 10_000, 'the leave reaching c.test');
    });

    it('make_leave is refused (403) for a user without membership and for a user of another server; send_leave takes only a leave of its sender', async function () {
      const roomId = await createRoom({ preset: 'public_chat' });
      const notMember = await fromB('GET', `/_matrix/federation/v1/make_leave/${room(roomId)}/${encodeURIComponent(bob.userId)}`);
      expect(notMember.status).to.equal(403);
      expect(notMember.json.errcode).to.equal('M_FORBIDDEN');
      const otherServer = await fromB('GET', `/_matrix/federation/v1/make_leave/${room(roomId)}/${encodeURIComponent(carol.userId)}`);
      expect(otherServer.status).to.equal(403);
      const unknownRoom = await fromB('GET', `/_matrix/federation/v1/make_leave/${room('!unknown:a.test')}/${encodeURIComponent(bob.userId)}`);
      expect(unknownRoom.status).to.equal(404);

      // A join passed off as a leave: 400 M_INVALID_PARAM (leaving-v2.yaml), and nothing enters the room.
      const madeJoin = await fromB('GET', `/_matrix/federation/v1/make_join/${room(roomId)}/${encodeURIComponent(bob.userId)}?ver=12`);
      expect(madeJoin.status, madeJoin.text).to.equal(200);
      const join = signedByB(madeJoin.json);
      const refused = await fromB('PUT', `/_matrix/federation/v2/send_leave/${room(roomId)}/${encodeURIComponent(join.eventId)}`, join.pdu);
      expect(refused.status).to.equal(400);
      expect(refused.json.errcode).to.equal('M_INVALID_PARAM');
      expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal(undefined);
    });

    for (const version of knockingVersions) {
      it(`room version ${version}: bob@b.test knocks on a.test's room with join_rule knock; b.test's /sync shows it under knock with knock_state, a.test and c.test have it in the room's state`, async function () {
        const roomId = await knockRoom(version, `Knock v${version}`);
        await carolJoins(roomId);
        const since = await syncToken(bob, b);

        const knocked = await call(b, bob, 'POST', `/knock/${room(roomId)}?via=a.test`, { reason: 'let me in' });
        expect(knocked.status, knocked.text).to.equal(200);
        expect(knocked.json).to.deep.equal({ room_id: roomId });

        const sync = await call(b, bob, 'GET', `/sync?since=${since}&timeout=5000`);
        const knock = sync.json.rooms?.knock?.[roomId];
        expect(knock, JSON.stringify(sync.json.rooms)).to.not.equal(undefined);
        const events = knock.knock_state.events as Array<{ type: string; state_key: string; sender: string; content: JsonObject }>;
        expect(events.map((e) => e.type)).to.include.members(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.member']);
        expect(events.find((e) => e.type === 'm.room.join_rules')!.content.join_rule).to.equal('knock');
        expect(events.find((e) => e.type === 'm.room.name')!.content.name).to.equal(`Knock v${version}`);
        const own = events.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)!;
        expect(own.content).to.include({ membership: 'knock', reason: 'let me in' });
        // Stripped state: the four fields, nothing of the PDU.
        for (const event of events.filter((e) => e.type !== 'm.room.member')) expect(Object.keys(event).sort()).to.deep.equal(['content', 'sender', 'state_key', 'type']);
        expect(sync.json.rooms?.join?.[roomId]).to.equal(undefined);
        // Once only: the next sync does not repeat it.
        const next = await call(b, bob, 'GET', `/sync?since=${sync.json.next_batch}`);
        expect(next.json.rooms?.knock?.[roomId]).to.equal(undefined);

        expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal('knock');
        await eventually(async () => (await membershipOf(c, carol, roomId, bob.userId)) === 'knock', 10_000, 'the knock reaching c.test');
      });
    }

    it('a knock accepted: alice invites bob, who sees the invite instead of the knock and joins through a.test', async function () {
      const roomId = await knockRoom('12');
      expect((await call(b, bob, 'POST', `/knock/${room(roomId)}?via=a.test`, {})).status).to.equal(200);
      const since = await syncToken(bob, b);
      expect((await call(a, alice, 'POST', `/rooms/${room(roomId)}/invite`, { user_id: bob.userId })).status).to.equal(200);
      const sync = await call(b, bob, 'GET', `/sync?since=${since}&timeout=5000`);
      expect(sync.json.rooms?.invite?.[roomId], JSON.stringify(sync.json.rooms)).to.not.equal(undefined);
      // An initial sync shows the invite, not the older knock.
      const initial = await call(b, bob, 'GET', '/sync');
      expect(initial.json.rooms?.invite?.[roomId]).to.not.equal(undefined);
      expect(initial.json.rooms?.knock?.[roomId]).to.equal(undefined);
      expect((await call(b, bob, 'POST', `/rooms/${room(roomId)}/join`, {})).status).to.equal(200);
      const afterJoin = await call(b, bob, 'GET', '/sync');
      expect(afterJoin.json.rooms?.join?.[roomId]).to.not.equal(undefined);
      expect(afterJoin.json.rooms?.knock?.[roomId]).to.equal(undefined);
    });

    it('bob retracts his knock by leaving ("Servers can retract knocks over federation by leaving the room"): a.test sees the leave, b.test\'s /sync moves the room to leave', async function () {
      const roomId = await knockRoom('12');
      expect((await call(b, bob, 'POST', `/knock/${room(roomId)}?via=a.test`, {})).status).to.equal(200);
      const since = await syncToken(bob, b);
      const left = await call(b, bob, 'POST', `/rooms/${room(roomId)}/leave`, {});
      expect(left.status, left.text).to.equal(200);
      expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal('leave');
      const sync = await call(b, bob, 'GET', `/sync?since=${since}&timeout=5000`);
      const leave = sync.json.rooms?.leave?.[roomId];
      expect(leave, JSON.stringify(sync.json.rooms)).to.not.equal(undefined);
      expect(leave.timeline.events.map((e: { content: { membership: string } }) => e.content.membership)).to.deep.equal(['leave']);
      const initial = await call(b, bob, 'GET', '/sync');
      expect(initial.json.rooms?.knock?.[roomId]).to.equal(undefined);
    });

    it('a knock on a room whose join rule is public is refused: 403 M_FORBIDDEN to the client, and to make_knock', async function () {
      const roomId = await createRoom({ preset: 'public_chat', room_version: '12' });
      const refused = await call(b, bob, 'POST', `/knock/${room(roomId)}?via=a.test`, {});
      expect(refused.status).to.equal(403);
      expect(refused.json.errcode).to.equal('M_FORBIDDEN');
      const made = await fromB('GET', `/_matrix/federation/v1/make_knock/${room(roomId)}/${encodeURIComponent(bob.userId)}?ver=12`);
      expect(made.status).to.equal(403);
      expect(made.json.errcode).to.equal('M_FORBIDDEN');
      expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal(undefined);
      expect((await call(b, bob, 'GET', '/sync')).json.rooms?.knock?.[roomId]).to.equal(undefined);
    });

    it('make_knock with a ver list without the room\'s version is 400 M_INCOMPATIBLE_ROOM_VERSION with room_version; a room version before 7 cannot be knocked on (403)', async function () {
      const roomId = await knockRoom('10');
      const made = await fromB('GET', `/_matrix/federation/v1/make_knock/${room(roomId)}/${encodeURIComponent(bob.userId)}?ver=1&ver=2`);
      expect(made.status).to.equal(400);
      expect(made.json).to.include({ errcode: 'M_INCOMPATIBLE_ROOM_VERSION', room_version: '10' });
      const withoutVer = await fromB('GET', `/_matrix/federation/v1/make_knock/${room(roomId)}/${encodeURIComponent(bob.userId)}`);
      expect(withoutVer.json.errcode).to.equal('M_INCOMPATIBLE_ROOM_VERSION');

      const v6 = await createRoom({ preset: 'private_chat', room_version: '6' });
      const old = await fromB('GET', `/_matrix/federation/v1/make_knock/${room(v6)}/${encodeURIComponent(bob.userId)}?ver=6`);
      expect(old.status).to.equal(403);
    });

    it('send_knock takes only a knock of its sender (400 M_INVALID_PARAM otherwise) and answers a knock with the room\'s state as events of its version', async function () {
      const roomId = await knockRoom('12', 'Direct knock');
      const made = await fromB('GET', `/_matrix/federation/v1/make_knock/${room(roomId)}/${encodeURIComponent(bob.userId)}?ver=11&ver=12`);
      expect(made.status, made.text).to.equal(200);
      expect(made.json.room_version).to.equal('12');
      expect(made.json.event.content.membership).to.equal('knock');

      const notAKnock = signedByB(made.json, { membership: 'leave' });
      const refused = await fromB('PUT', `/_matrix/federation/v1/send_knock/${room(roomId)}/${encodeURIComponent(notAKnock.eventId)}`, notAKnock.pdu);
      expect(refused.status).to.equal(400);
      expect(refused.json.errcode).to.equal('M_INVALID_PARAM');
      const knock = signedByB(made.json);
      const wrongId = await fromB('PUT', `/_matrix/federation/v1/send_knock/${room(roomId)}/${encodeURIComponent('$notthisone')}`, knock.pdu);
      expect(wrongId.status).to.equal(400);
      expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal(undefined);

      const sent = await fromB('PUT', `/_matrix/federation/v1/send_knock/${room(roomId)}/${encodeURIComponent(knock.eventId)}`, knock.pdu);
      expect(sent.status, sent.text).to.equal(200);
      const state = sent.json.knock_room_state as JsonObject[];
      // knocks.yaml (v1.16): "MUST contain the m.room.create event", formatted as the room version says.
      const create = state.find((e) => e.type === 'm.room.create')!;
      expect(create).to.include.keys('signatures', 'hashes', 'auth_events');
      expect(state.find((e) => e.type === 'm.room.name')!.content).to.deep.equal({ name: 'Direct knock' });
      expect(await membershipOf(a, alice, roomId, bob.userId)).to.equal('knock');
    });
  });
}
