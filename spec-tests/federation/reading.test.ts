/**
 * The server-server API's reading endpoints, answered by a real Lattice (a.test) to signed requests of
 * another real Lattice (b.test) whose user joined a.test's rooms through a transaction:
 * server-server-api "Retrieving events" (/event, /state, /state_ids, /timestamp_to_event), "Retrieving
 * event authorisation information" (/event_auth), "Backfilling and retrieving missing events"
 * (/backfill, /get_missing_events), "Server Access Control Lists (ACLs)", "Querying for information"
 * (/query/directory), "Device Management" (/user/devices), "End-to-End Encryption" (/user/keys/query,
 * /user/keys/claim), "Published Room Directory" (/publicRooms) and "OpenID" (/openid/userinfo).
 */
import { expect } from 'chai';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { computeEventId } from '../../src/core/events/event-id.ts';
import { getRoomVersion } from '../../src/core/room-versions/known-versions.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';
import { remoteUserEvent, type RemoteEventDraft } from '../harness/remote-events.ts';
import { TestFederationRequester, xMatrixAuthorization } from '../harness/server-requests.ts';

const v12 = getRoomVersion('12');
const eventIdOf = (pdu: JsonObject) => computeEventId(pdu, v12);

describe('server-server-api reading endpoints, answered to another server', function () {
  const requesterOfA = new TestFederationRequester();
  const requesterOfB = new TestFederationRequester();
  let a: TestHomeserver;
  let b: TestHomeserver;
  const api = clientApi(() => a);
  let alice: TestUser;
  let txn = 0;

  /** A room of a.test that @bob:b.test joined, then five messages of alice. */
  let roomId: string;
  let bobJoinId: string;
  const messageIds: string[] = [];

  before(async function () {
    a = await startTestHomeserver({
      serverName: 'a.test',
      federationRequester: requesterOfA,
      config: { enable_registration: true, trusted_key_servers: [], allow_public_rooms_over_federation: true },
    });
    b = await startTestHomeserver({ serverName: 'b.test', federationRequester: requesterOfB, config: { trusted_key_servers: [] } });
    requesterOfA.origin = { serverName: 'a.test', key: a.homeserver.serverKeys.signingKey };
    requesterOfB.origin = { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey };
    requesterOfA.directory.set('b.test', b.baseUrl);
    requesterOfB.directory.set('a.test', a.baseUrl);
    alice = await registerUser(a, 'alice');

    roomId = await createRoom({ preset: 'public_chat' });
    bobJoinId = await joinBob(roomId);
    for (let i = 1; i <= 5; i++) messageIds.push(await sendMessage(roomId, `message ${i}`));
  });
  after(async function () {
    await a.stop();
    await b.stop();
  });

  /** A request to a.test signed by b.test (server-server-api "Request Authentication"). */
  const fromB = (method: 'GET' | 'POST' | 'PUT', path: string, body?: JsonObject): Promise<RawResponse> => {
    const authorization = xMatrixAuthorization({ method, uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
    return rawRequest(a.baseUrl, path, { method, body, headers: { authorization } });
  };
  const room = (id: string) => encodeURIComponent(id);
  const event = (id: string) => encodeURIComponent(id);

  const createRoom = async (body: object): Promise<string> => {
    const created = await api(alice, 'POST', '/createRoom', body);
    expect(created.status, created.text).to.equal(200);
    return created.json.room_id;
  };
  const sendMessage = async (id: string, body: string): Promise<string> => {
    const sent = await api(alice, 'PUT', `/rooms/${room(id)}/send/m.room.message/m${++txn}`, { msgtype: 'm.text', body });
    expect(sent.status, sent.text).to.equal(200);
    return sent.json.event_id;
  };

  /** An event of @bob:b.test in a.test's room, on the room's current extremities, signed by b.test. */
  const bobEvent = (id: string, draft: RemoteEventDraft) => remoteUserEvent(a, id, '@bob:b.test', draft, { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey });
  /** @bob:b.test joins through a transaction from b.test; the join's event ID. */
  const joinBob = async (id: string): Promise<string> => {
    const join = await bobEvent(id, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    const sent = await fromB('PUT', `/_matrix/federation/v1/send/join${++txn}`, { origin: 'b.test', origin_server_ts: Date.now(), pdus: [join] });
    expect(Object.values(sent.json.pdus), sent.text).to.deep.equal([{}]);
    return eventIdOf(join);
  };
  const clientStateIds = async (id: string): Promise<string[]> => (await api(alice, 'GET', `/rooms/${room(id)}/state`)).json.map((e: { event_id: string }) => e.event_id).sort();
  const storedPdu = async (id: string) => (await a.homeserver.storage.roomEvents.events([id])).get(id)!.pdu;

  describe('"Retrieving events"', function () {
    it('GET /event/{eventId} answers a transaction holding the event\'s PDU', async function () {
      const response = await fromB('GET', `/_matrix/federation/v1/event/${event(messageIds[0]!)}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.origin).to.equal('a.test');
      expect(response.json.origin_server_ts).to.be.a('number');
      expect(response.json.pdus).to.deep.equal([await storedPdu(messageIds[0]!)]);
      expect(eventIdOf(response.json.pdus[0])).to.equal(messageIds[0]);
    });

    it('GET /state_ids answers the state before the event and an auth chain that closes over it', async function () {
      const last = messageIds.at(-1)!;
      const response = await fromB('GET', `/_matrix/federation/v1/state_ids/${room(roomId)}?event_id=${event(last)}`);
      expect(response.status, response.text).to.equal(200);
      // A message changes no state: the state before it is the room's current state.
      expect([...response.json.pdu_ids].sort()).to.deep.equal(await clientStateIds(roomId));
      const known = new Set<string>([...response.json.pdu_ids, ...response.json.auth_chain_ids]);
      const pdus = await a.homeserver.storage.roomEvents.events([...known]);
      for (const stored of pdus.values()) for (const authId of stored.pdu.auth_events as string[]) expect(known.has(authId), `${stored.eventId} cites ${authId}`).to.equal(true);
      expect(pdus.size).to.equal(known.size);
    });

    it('GET /state_ids at a state event leaves that event out ("prior to considering any state changes induced by the requested event")', async function () {
      const response = await fromB('GET', `/_matrix/federation/v1/state_ids/${room(roomId)}?event_id=${event(bobJoinId)}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.pdu_ids).to.not.include(bobJoinId);
      const after = await fromB('GET', `/_matrix/federation/v1/state_ids/${room(roomId)}?event_id=${event(messageIds[0]!)}`);
      expect(after.json.pdu_ids).to.include(bobJoinId);
    });

    it('GET /state answers the same state and auth chain as full PDUs', async function () {
      const last = messageIds.at(-1)!;
      const ids = (await fromB('GET', `/_matrix/federation/v1/state_ids/${room(roomId)}?event_id=${event(last)}`)).json;
      const response = await fromB('GET', `/_matrix/federation/v1/state/${room(roomId)}?event_id=${event(last)}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.pdus.map(eventIdOf).sort()).to.deep.equal([...ids.pdu_ids].sort());
      expect(response.json.auth_chain.map(eventIdOf).sort()).to.deep.equal([...ids.auth_chain_ids].sort());
    });

    it('GET /timestamp_to_event finds the closest event in either direction, and 404 when there is none', async function () {
      const third = await storedPdu(messageIds[2]!);
      const forward = await fromB('GET', `/_matrix/federation/v1/timestamp_to_event/${room(roomId)}?ts=${third.origin_server_ts}&dir=f`);
      expect(forward.status, forward.text).to.equal(200);
      expect(forward.json.origin_server_ts).to.equal(third.origin_server_ts);
      const backward = await fromB('GET', `/_matrix/federation/v1/timestamp_to_event/${room(roomId)}?ts=${Date.now() + 60_000}&dir=b`);
      expect(backward.json.event_id).to.equal(messageIds.at(-1));
      const none = await fromB('GET', `/_matrix/federation/v1/timestamp_to_event/${room(roomId)}?ts=${Date.now() + 60_000}&dir=f`);
      expect(none.status).to.equal(404);
      expect(none.json.errcode).to.equal('M_NOT_FOUND');
    });
  });

  describe('"Retrieving event authorisation information"', function () {
    it('GET /event_auth answers the event\'s whole auth chain, without the event', async function () {
      const response = await fromB('GET', `/_matrix/federation/v1/event_auth/${room(roomId)}/${event(messageIds[0]!)}`);
      expect(response.status, response.text).to.equal(200);
      const chain = new Set<string>(response.json.auth_chain.map(eventIdOf));
      expect(chain.has(messageIds[0]!)).to.equal(false);
      const message = await storedPdu(messageIds[0]!);
      for (const authId of message.auth_events as string[]) expect(chain.has(authId)).to.equal(true);
      for (const pdu of response.json.auth_chain as JsonObject[]) for (const authId of pdu.auth_events as string[]) expect(chain.has(authId)).to.equal(true);
      // rooms/v12: the create event is no longer cited in auth_events; the power levels and the sender's join are.
      expect(response.json.auth_chain.map((pdu: { type: string }) => pdu.type)).to.include.members(['m.room.power_levels', 'm.room.member']);
    });
  });

  describe('"Backfilling and retrieving missing events"', function () {
    it('GET /backfill answers the given event and those before it, newest first, up to the limit', async function () {
      const path = `/_matrix/federation/v1/backfill/${room(roomId)}?v=${event(messageIds[4]!)}&limit=3`;
      const response = await fromB('GET', path);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.origin).to.equal('a.test');
      expect(response.json.pdus.map(eventIdOf)).to.deep.equal([messageIds[4], messageIds[3], messageIds[2]]);
    });

    it('GET /backfill walks back to the room\'s creation', async function () {
      const response = await fromB('GET', `/_matrix/federation/v1/backfill/${room(roomId)}?v=${event(messageIds[0]!)}&limit=100`);
      const types = response.json.pdus.map((pdu: { type: string }) => pdu.type);
      expect(types[0]).to.equal('m.room.message');
      expect(types.at(-1)).to.equal('m.room.create');
      expect(response.json.pdus.map(eventIdOf)).to.include(bobJoinId);
      const depths = response.json.pdus.map((pdu: { depth: number }) => pdu.depth);
      expect(depths).to.deep.equal([...depths].sort((x, y) => y - x));
    });

    it('POST /get_missing_events fills the gap between the earliest and latest events, oldest first', async function () {
      const response = await fromB('POST', `/_matrix/federation/v1/get_missing_events/${room(roomId)}`, {
        earliest_events: [messageIds[0]!],
        latest_events: [messageIds[4]!],
        limit: 10,
        min_depth: 0,
      });
      expect(response.status, response.text).to.equal(200);
      expect(response.json.events.map(eventIdOf)).to.deep.equal([messageIds[1], messageIds[2], messageIds[3]]);
    });

    it('POST /get_missing_events stops at the limit, keeping the events nearest the latest ones', async function () {
      const response = await fromB('POST', `/_matrix/federation/v1/get_missing_events/${room(roomId)}`, { earliest_events: [messageIds[0]!], latest_events: [messageIds[4]!], limit: 2 });
      expect(response.json.events.map(eventIdOf)).to.deep.equal([messageIds[2], messageIds[3]]);
    });

    it('serves events from before the server joined a "joined" history room redacted', async function () {
      const joinedOnly = await createRoom({ preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
      const before = await sendMessage(joinedOnly, 'before b.test joined');
      await joinBob(joinedOnly);
      const afterJoin = await sendMessage(joinedOnly, 'after b.test joined');
      const response = await fromB('GET', `/_matrix/federation/v1/backfill/${room(joinedOnly)}?v=${event(afterJoin)}&limit=10`);
      expect(response.status, response.text).to.equal(200);
      const byId = new Map<string, { content: { body?: string } }>(response.json.pdus.map((pdu: JsonObject) => [eventIdOf(pdu), pdu]));
      expect(byId.get(afterJoin)!.content.body).to.equal('after b.test joined');
      // Redacted, so still verifiable (its event ID is the same), but without the body.
      expect(byId.get(before)!.content).to.deep.equal({});
    });
  });

  describe('access: 403 for servers not in the room or denied by its ACL, 404 for unknown rooms and events', function () {
    it('refuses a server with no member in a private room', async function () {
      const privateRoom = await createRoom({ preset: 'private_chat' });
      const message = await sendMessage(privateRoom, 'not for b.test');
      const requests: Array<[method: 'GET' | 'POST', path: string, body?: JsonObject]> = [
        ['GET', `/_matrix/federation/v1/event/${event(message)}`],
        ['GET', `/_matrix/federation/v1/state/${room(privateRoom)}?event_id=${event(message)}`],
        ['GET', `/_matrix/federation/v1/state_ids/${room(privateRoom)}?event_id=${event(message)}`],
        ['GET', `/_matrix/federation/v1/event_auth/${room(privateRoom)}/${event(message)}`],
        ['GET', `/_matrix/federation/v1/backfill/${room(privateRoom)}?v=${event(message)}&limit=10`],
        ['POST', `/_matrix/federation/v1/get_missing_events/${room(privateRoom)}`, { earliest_events: [], latest_events: [message] }],
        ['GET', `/_matrix/federation/v1/timestamp_to_event/${room(privateRoom)}?ts=0&dir=f`],
      ];
      for (const [method, path, body] of requests) {
        const response = await fromB(method, path, body);
        expect(response.status, `${method} ${path}`).to.equal(403);
        expect(response.json.errcode).to.equal('M_FORBIDDEN');
      }
    });

    it('answers any server about a world-readable room', async function () {
      const readable = await createRoom({ preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } }] });
      const message = await sendMessage(readable, 'for everyone');
      const response = await fromB('GET', `/_matrix/federation/v1/state_ids/${room(readable)}?event_id=${event(message)}`);
      expect(response.status, response.text).to.equal(200);
      expect([...response.json.pdu_ids].sort()).to.deep.equal(await clientStateIds(readable));
      expect((await fromB('GET', `/_matrix/federation/v1/event/${event(message)}`)).status).to.equal(200);
    });

    it('refuses a server the room\'s m.room.server_acl denies, though it has a member there', async function () {
      const guarded = await createRoom({ preset: 'public_chat' });
      await joinBob(guarded);
      const message = await sendMessage(guarded, 'before the ACL');
      const allowed = await fromB('GET', `/_matrix/federation/v1/state_ids/${room(guarded)}?event_id=${event(message)}`);
      expect(allowed.status, allowed.text).to.equal(200);
      const acl = await api(alice, 'PUT', `/rooms/${room(guarded)}/state/m.room.server_acl/`, { allow: ['*'], deny: ['b.test'], allow_ip_literals: false });
      expect(acl.status, acl.text).to.equal(200);
      for (const path of [
        `/_matrix/federation/v1/state_ids/${room(guarded)}?event_id=${event(message)}`,
        `/_matrix/federation/v1/backfill/${room(guarded)}?v=${event(message)}&limit=5`,
        `/_matrix/federation/v1/event_auth/${room(guarded)}/${event(message)}`,
        `/_matrix/federation/v1/event/${event(message)}`,
      ]) {
        const denied = await fromB('GET', path);
        expect(denied.status, path).to.equal(403);
        expect(denied.json.errcode).to.equal('M_FORBIDDEN');
      }
    });

    it('answers 404 M_NOT_FOUND for an unknown room or event', async function () {
      const unknownEvent = '$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      for (const path of [
        `/_matrix/federation/v1/state_ids/${room('!unknown:a.test')}?event_id=${event(messageIds[0]!)}`,
        `/_matrix/federation/v1/backfill/${room('!unknown:a.test')}?v=${event(messageIds[0]!)}&limit=5`,
        `/_matrix/federation/v1/state_ids/${room(roomId)}?event_id=${event(unknownEvent)}`,
        `/_matrix/federation/v1/event_auth/${room(roomId)}/${event(unknownEvent)}`,
        `/_matrix/federation/v1/event/${event(unknownEvent)}`,
      ]) {
        const response = await fromB('GET', path);
        expect(response.status, path).to.equal(404);
        expect(response.json.errcode).to.equal('M_NOT_FOUND');
      }
    });

    it('requires a signed request', async function () {
      const unsigned = await rawRequest(a.baseUrl, `/_matrix/federation/v1/event/${event(messageIds[0]!)}`);
      expect(unsigned.status).to.equal(401);
    });
  });

  describe('"Querying for information": GET /query/directory', function () {
    it('answers a local alias\'s room and the servers in it, and 404 for an unknown alias', async function () {
      const created = await api(alice, 'PUT', `/directory/room/${encodeURIComponent('#reading:a.test')}`, { room_id: roomId });
      expect(created.status, created.text).to.equal(200);
      const response = await fromB('GET', `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent('#reading:a.test')}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.room_id).to.equal(roomId);
      expect(response.json.servers).to.have.members(['a.test', 'b.test']);
      const unknown = await fromB('GET', `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent('#nothing:a.test')}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
    });
  });

  describe('"Device Management" and "End-to-End Encryption"', function () {
    const deviceKeys = () => ({
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: { [`curve25519:${alice.deviceId}`]: 'curve-key', [`ed25519:${alice.deviceId}`]: 'ed-key' },
      signatures: { [alice.userId]: { [`ed25519:${alice.deviceId}`]: 'signature' } },
    });
    const masterKey = () => ({ user_id: alice.userId, usage: ['master'], keys: { 'ed25519:masterpublickey': 'masterpublickey' } });

    before(async function () {
      const uploaded = await api(alice, 'POST', '/keys/upload', { device_keys: deviceKeys(), one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'one-time', signatures: {} } } });
      expect(uploaded.status, uploaded.text).to.equal(200);
      const master = await api(alice, 'POST', '/keys/device_signing/upload', { master_key: masterKey() });
      expect(master.status, master.text).to.equal(200);
    });

    it('GET /user/devices/{userId} answers the local user\'s devices with their keys, a stream_id and the master key', async function () {
      const response = await fromB('GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent(alice.userId)}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.json.user_id).to.equal(alice.userId);
      expect(response.json.stream_id).to.be.a('number');
      expect(response.json.devices).to.have.length(1);
      expect(response.json.devices[0].device_id).to.equal(alice.deviceId);
      expect(response.json.devices[0].keys).to.deep.include({ keys: deviceKeys().keys, algorithms: deviceKeys().algorithms });
      expect(response.json.master_key).to.deep.include({ keys: masterKey().keys, usage: ['master'] });
      const remote = await fromB('GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent('@bob:b.test')}`);
      expect(remote.status).to.equal(400);
    });

    it('POST /user/keys/query answers the device and master keys of local users only', async function () {
      const response = await fromB('POST', '/_matrix/federation/v1/user/keys/query', { device_keys: { [alice.userId]: [], '@bob:b.test': [] } });
      expect(response.status, response.text).to.equal(200);
      expect(Object.keys(response.json.device_keys)).to.deep.equal([alice.userId]);
      expect(response.json.device_keys[alice.userId][alice.deviceId].keys).to.deep.equal(deviceKeys().keys);
      expect(response.json.master_keys[alice.userId].keys).to.deep.equal(masterKey().keys);
      expect(response.json).to.not.have.property('failures');
      expect(response.json).to.not.have.property('user_signing_keys');
    });

    it('POST /user/keys/claim hands out a one-time key once', async function () {
      const claim = () => fromB('POST', '/_matrix/federation/v1/user/keys/claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
      const first = await claim();
      expect(first.status, first.text).to.equal(200);
      expect(first.json.one_time_keys[alice.userId][alice.deviceId]).to.deep.equal({ 'signed_curve25519:AAAAAQ': { key: 'one-time', signatures: {} } });
      const second = await claim();
      expect(second.json.one_time_keys).to.deep.equal({});
    });
  });

  describe('"Published Room Directory": /publicRooms', function () {
    it('lists the published rooms when allow_public_rooms_over_federation is set (GET and POST)', async function () {
      const published = await api(alice, 'PUT', `/directory/list/room/${room(roomId)}`, { visibility: 'public' });
      expect(published.status, published.text).to.equal(200);
      const listed = await fromB('GET', '/_matrix/federation/v1/publicRooms?limit=10');
      expect(listed.status, listed.text).to.equal(200);
      expect(listed.json.chunk.map((r: { room_id: string }) => r.room_id)).to.include(roomId);
      const filtered = await fromB('POST', '/_matrix/federation/v1/publicRooms', { limit: 10, filter: { generic_search_term: 'no room has this name' } });
      expect(filtered.status, filtered.text).to.equal(200);
      expect(filtered.json.chunk).to.deep.equal([]);
    });

    it('answers 403 M_FORBIDDEN when it is not set (the default)', async function () {
      const path = '/_matrix/federation/v1/publicRooms';
      const authorization = xMatrixAuthorization({ method: 'GET', uri: path, origin: 'a.test', destination: 'b.test' }, a.homeserver.serverKeys.signingKey);
      const response = await rawRequest(b.baseUrl, path, { headers: { authorization } });
      expect(response.status, response.text).to.equal(403);
      expect(response.json.errcode).to.equal('M_FORBIDDEN');
    });
  });

  describe('"OpenID"', function () {
    it('exchanges a token from /openid/request_token for the user\'s ID at /openid/userinfo', async function () {
      const issued = await api(alice, 'POST', `/user/${encodeURIComponent(alice.userId)}/openid/request_token`, {});
      expect(issued.status, issued.text).to.equal(200);
      expect(issued.json).to.include({ token_type: 'Bearer', matrix_server_name: 'a.test' });
      expect(issued.json.expires_in).to.be.a('number').above(0);
      const info = await rawRequest(a.baseUrl, `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(issued.json.access_token)}`);
      expect(info.status, info.text).to.equal(200);
      expect(info.json).to.deep.equal({ sub: alice.userId });
    });

    it('refuses unknown tokens, access tokens, and tokens for other users', async function () {
      for (const token of ['nonsense', alice.accessToken]) {
        const info = await rawRequest(a.baseUrl, `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(token)}`);
        expect(info.status).to.equal(401);
        expect(info.json.errcode).to.equal('M_UNKNOWN_TOKEN');
      }
      const forOther = await api(alice, 'POST', `/user/${encodeURIComponent('@someone:a.test')}/openid/request_token`, {});
      expect(forOther.status).to.equal(403);
    });
  });
});
