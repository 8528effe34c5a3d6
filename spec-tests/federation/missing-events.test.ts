/**
 * server-server-api "Checks performed on receipt of a PDU" (missing prev events), "Retrieving missing
 * events" and "Backfilling and retrieving missing events", between real Lattice servers over TLS:
 * b.test receives only the last of several events and fetches the others (get_missing_events), or
 * the state before it when the gap is wider than it asks for (state_ids); a server that joined late
 * sees the room's earlier history through /messages (backfill); and an answer with an event signed by
 * the wrong key stores nothing of that event.
 *
 * The events of a gap are carol@c.test's, built and signed here with c.test's key and handed to
 * a.test only: c.test never sends them, and a.test does not pass on other servers' events, so b.test
 * learns of them only through what the test sends it and what it fetches.
 */
import { createServer, type Server } from 'node:https';
import { expect } from 'chai';
import { authEventKeys } from '../../src/core/auth/auth-events.ts';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import { buildEvent } from '../../src/core/events/build-event.ts';
import { stateKeyOf, type RoomEvent } from '../../src/core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../src/core/ids/identifiers.ts';
import { getRoomVersion } from '../../src/core/room-versions/known-versions.ts';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually, startFederatedServers, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, clientCall as call } from '../harness/requests.ts';
import { xMatrixAuthorization } from '../harness/server-requests.ts';
import { issueTestCertificate } from '../harness/test-certificates.ts';

for (const engine of testEngines) describe(`server-server-api "Retrieving missing events" and "Backfilling" between servers over TLS on ${engine}`, function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let c: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let txn = 0;
  const enc = encodeURIComponent;

  before(async function () {
    federation = await startFederatedServers(['a.test', 'b.test', 'c.test'], { engine });
    [a, b, c] = federation.servers as [TestHomeserver, TestHomeserver, TestHomeserver];
    alice = await registerUser(a, 'alice');
    bob = await registerUser(b, 'bob');
    carol = await registerUser(c, 'carol');
  });
  after(() => federation.stop());

  const say = async (server: TestHomeserver, user: TestUser, roomId: string, body: string) => {
    const response = await call(server, user, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/m${++txn}`, { msgtype: 'm.text', body });
    expect(response.status, response.text).to.equal(200);
  };
  const join = async (server: TestHomeserver, user: TestUser, roomId: string) => {
    const joined = await call(server, user, 'POST', `/join/${enc(roomId)}?via=a.test`, {});
    expect(joined.status, joined.text).to.equal(200);
  };
  /** Every message body `user` reads going back through /messages `limit` at a time, oldest first. */
  const allMessages = async (server: TestHomeserver, user: TestUser, roomId: string, limit = 50): Promise<string[]> => {
    const bodies: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await call(server, user, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}${from ? `&from=${enc(from)}` : ''}`);
      expect(response.status, response.text).to.equal(200);
      for (const event of response.json.chunk as Array<{ type: string; content: { body?: string } }>) if (event.type === 'm.room.message') bodies.push(event.content.body!);
      if (response.json.end === undefined) break;
      from = response.json.end;
    }
    return bodies.reverse();
  };
  const stateIds = async (server: TestHomeserver, user: TestUser, roomId: string) =>
    ((await call(server, user, 'GET', `/rooms/${enc(roomId)}/state`)).json as Array<{ event_id: string }>).map((event) => event.event_id).sort();
  /** How many requests `server` answered on the federation endpoint `endpoint` (its metrics). */
  const requestCount = async (server: TestHomeserver, endpoint: string): Promise<number> => {
    const metrics = (await rawRequest(server.baseUrl, '/_synapse/metrics')).text;
    const pattern = new RegExp(`lattice_http_request_duration_seconds_count\\{[^}]*endpoint="${endpoint.replace(/[/.]/g, '\\$&')}"[^}]*\\} (\\d+)`, 'g');
    return [...metrics.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
  };
  /** PUT /send/{txnId} to `to` from `origin` (a server name and its key), as that server would send it. */
  const sendTransaction = async (origin: { serverName: string; key: SigningKey }, to: TestHomeserver, pdus: JsonObject[]) => {
    const path = `/_matrix/federation/v1/send/gap${++txn}`;
    const body = { origin: origin.serverName, origin_server_ts: Date.now(), pdus };
    const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: origin.serverName, destination: to.serverName, content: body }, origin.key);
    const response = await rawRequest(to.baseUrl, path, { method: 'PUT', body, headers: { authorization } });
    expect(response.status, response.text).to.equal(200);
    return response.json.pdus as Record<string, { error?: string }>;
  };
  const serverOf = (server: TestHomeserver) => ({ serverName: server.serverName, key: server.homeserver.serverKeys.signingKey });

  /** alice's public room on a.test with bob@b.test and carol@c.test joined, once b.test has all a.test has. */
  const roomOfThree = async (): Promise<RoomId> => {
    const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as RoomId;
    await join(b, bob, roomId);
    await join(c, carol, roomId);
    await say(a, alice, roomId, 'before the gap');
    await eventually(
      async () => {
        const [onA, onB] = await Promise.all([a, b].map((server) => server.homeserver.storage.roomEvents.forwardExtremities(roomId)));
        return JSON.stringify(onA) === JSON.stringify(onB);
      },
      10_000,
      'b.test catching up with a.test',
    );
    return roomId;
  };

  /**
   * carol's events one after the other on a.test's forward extremities, signed with c.test's key (the
   * event at `forgedAt` with another key under c.test's key ID), each with the auth events the state
   * before it selects.
   */
  const carolEvents = async (roomId: RoomId, drafts: ReadonlyArray<{ type: string; stateKey?: string; content: JsonObject }>, forgedAt?: number): Promise<RoomEvent[]> => {
    const storage = a.homeserver.storage;
    const rules = getRoomVersion((await storage.roomEvents.room(roomId))!.roomVersion);
    const state = await storage.roomEvents.currentState(roomId);
    let prevEvents = (await storage.roomEvents.forwardExtremities(roomId)) as EventId[];
    let depth = Math.max(...[...(await storage.roomEvents.events(prevEvents)).values()].map((event) => event.depth)) + 1;
    const key = c.homeserver.serverKeys.signingKey;
    const wrongKey = { ...generateSigningKey(), keyId: key.keyId, version: key.version };
    return drafts.map((draft, i) => {
      const sender = carol.userId as UserId;
      const authEvents = authEventKeys({ ...draft, sender }, rules).flatMap((stateKey) => (state.get(stateKey) as EventId | undefined) ?? []);
      const { event } = buildEvent({ rules, roomId, ...draft, sender, prevEvents, authEvents, depth, originServerTs: Date.now() + i }, { serverName: 'c.test', key: i === forgedAt ? wrongKey : key });
      if (draft.stateKey !== undefined) state.set(stateKeyOf(draft.type, draft.stateKey), event.eventId);
      prevEvents = [event.eventId];
      depth++;
      return event;
    });
  };
  const messagesOfCarol = (label: string, count: number): Array<{ type: string; stateKey?: string; content: JsonObject }> => Array.from({ length: count }, (_, i) => ({ type: 'm.room.message', content: { msgtype: 'm.text', body: `${label} ${i + 1}` } }));

  it('a gap of a few events: b.test fetches them from the origin with get_missing_events, and bob reads them all in order', async function () {
    const roomId = await roomOfThree();
    const gap = await carolEvents(roomId, messagesOfCarol('gap', 5));
    expect(Object.values(await sendTransaction(serverOf(c), a, gap.map((event) => event.pdu)))).to.deep.equal([{}, {}, {}, {}, {}]);
    const asked = await requestCount(a, '/_matrix/federation/v1/get_missing_events/:roomId');
    // Only the last event reaches b.test, from a.test.
    const last = gap.at(-1)!;
    expect(await sendTransaction(serverOf(a), b, [last.pdu])).to.deep.equal({ [last.eventId]: {} });
    expect(await requestCount(a, '/_matrix/federation/v1/get_missing_events/:roomId')).to.equal(asked + 1);
    const read = await allMessages(b, bob, roomId);
    expect(read.slice(-6)).to.deep.equal(['before the gap', 'gap 1', 'gap 2', 'gap 3', 'gap 4', 'gap 5']);
    // The room goes on from the last of them.
    expect(await b.homeserver.storage.roomEvents.forwardExtremities(roomId)).to.deep.equal([last.eventId]);
  });

  it('a gap wider than get_missing_events asks for: b.test takes the state before the event from /state_ids and ends with the room\'s current state', async function () {
    const roomId = await roomOfThree();
    const drafts = messagesOfCarol('wide', 15);
    // A state change inside the gap, which b.test must learn through the state.
    drafts[2] = { type: 'm.room.member', stateKey: carol.userId, content: { membership: 'join', displayname: 'Carol in the gap' } };
    const gap = await carolEvents(roomId, drafts);
    expect(Object.values(await sendTransaction(serverOf(c), a, gap.map((event) => event.pdu))).every((result) => result.error === undefined)).to.equal(true);
    const askedState = await requestCount(a, '/_matrix/federation/v1/state_ids/:roomId');
    const last = gap.at(-1)!;
    expect(await sendTransaction(serverOf(a), b, [last.pdu])).to.deep.equal({ [last.eventId]: {} });
    expect(await requestCount(a, '/_matrix/federation/v1/state_ids/:roomId')).to.be.greaterThan(askedState);
    expect(await stateIds(b, bob, roomId)).to.deep.equal(await stateIds(a, alice, roomId));
    const member = await call(b, bob, 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(carol.userId)}`);
    expect(member.json.displayname).to.equal('Carol in the gap');
    // The events get_missing_events brought are in bob's timeline, the last one included.
    expect((await allMessages(b, bob, roomId)).slice(-3)).to.deep.equal(['wide 13', 'wide 14', 'wide 15']);
    // The room goes on: bob's next message builds on both branches and reaches alice.
    await say(b, bob, roomId, 'after the gap');
    await eventually(async () => (await allMessages(a, alice, roomId)).includes('after the gap'), 10_000, 'bob\'s message reaching a.test');
  });

  it('backfill: bob@b.test joins after 30 messages and reads them all through /messages, in order; paging again fetches nothing more', async function () {
    const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as RoomId;
    // client-server-api "History visibility": public_chat rooms are `shared`, so a member reads history from before joining.
    expect((await call(a, alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.history_visibility`)).json.history_visibility).to.equal('shared');
    const history = Array.from({ length: 30 }, (_, i) => `history ${i + 1}`);
    for (const body of history) await say(a, alice, roomId, body);
    await join(b, bob, roomId);
    const since = (await call(b, bob, 'GET', '/sync?timeout=0')).json.next_batch as string;
    const backfills = () => requestCount(a, '/_matrix/federation/v1/backfill/:roomId');
    const before = await backfills();
    // Ten at a time, as a client scrolls back.
    expect(await allMessages(b, bob, roomId, 10)).to.deep.equal(history);
    const fetched = await backfills();
    expect(fetched).to.be.greaterThan(before);
    // Everything is here now, down to the room's creation: nothing is fetched again.
    expect(await allMessages(b, bob, roomId, 50)).to.deep.equal(history);
    expect(await allMessages(b, bob, roomId, 7)).to.deep.equal(history);
    expect(await backfills()).to.equal(fetched);
    // The history has stream positions below the timeline, and /sync does not serve it as new.
    const backfilled = await b.homeserver.storage.roomEvents.timelineBetween(roomId, -Number.MAX_SAFE_INTEGER, 0, 'f', 100);
    expect(backfilled.length).to.be.greaterThanOrEqual(30);
    const sync = await call(b, bob, 'GET', `/sync?timeout=0&since=${enc(since)}`);
    expect(sync.json.rooms?.join?.[roomId]?.timeline?.events ?? []).to.deep.equal([]);
    // The room goes on as before.
    await say(a, alice, roomId, 'after the history');
    await eventually(async () => (await allMessages(b, bob, roomId)).at(-1) === 'after the history', 10_000, 'the next message reaching b.test');
  });

  it('an event citing an auth event b.test lacks: b.test fetches it from the origin (/event_auth), checks it and accepts the event', async function () {
    const roomId = await roomOfThree();
    // carol changes her name on a branch only a.test sees, then sends a message on the room's tip that cites the new member event.
    const [renamed] = await carolEvents(roomId, [{ type: 'm.room.member', stateKey: carol.userId, content: { membership: 'join', displayname: 'Carol elsewhere' } }]);
    const [message] = await carolEvents(roomId, messagesOfCarol('cites', 1));
    const rules = getRoomVersion((await a.homeserver.storage.roomEvents.room(roomId))!.roomVersion);
    const joinedAs = (await a.homeserver.storage.roomEvents.currentState(roomId)).get(stateKeyOf('m.room.member', carol.userId));
    const cited = buildEvent(
      { rules, roomId, type: 'm.room.message', sender: carol.userId as UserId, content: { msgtype: 'm.text', body: 'cites a new name' }, prevEvents: message!.prevEventIds, authEvents: message!.authEventIds.map((id) => (id === joinedAs ? renamed!.eventId : id)), depth: message!.depth, originServerTs: Date.now() + 10 },
      { serverName: 'c.test', key: c.homeserver.serverKeys.signingKey },
    ).event;
    expect(cited.authEventIds).to.include(renamed!.eventId);
    expect(Object.values(await sendTransaction(serverOf(c), a, [renamed!.pdu, cited.pdu]))).to.deep.equal([{}, {}]);
    const asked = await requestCount(a, '/_matrix/federation/v1/event_auth/:roomId/:eventId');
    expect(await sendTransaction(serverOf(a), b, [cited.pdu])).to.deep.equal({ [cited.eventId]: {} });
    expect(await requestCount(a, '/_matrix/federation/v1/event_auth/:roomId/:eventId')).to.equal(asked + 1);
    // The auth event is stored as an outlier: part of the auth DAG, not of b.test's timeline or state.
    const stored = (await b.homeserver.storage.roomEvents.events([renamed!.eventId])).get(renamed!.eventId);
    expect(stored).to.include({ outlier: true, streamPosition: null, rejectedReason: null });
    expect((await allMessages(b, bob, roomId)).at(-1)).to.equal('cites a new name');
    // When the outlier itself arrives, it takes its place in b.test's timeline and state.
    expect(await sendTransaction(serverOf(c), b, [renamed!.pdu])).to.deep.equal({ [renamed!.eventId]: {} });
    const promoted = (await b.homeserver.storage.roomEvents.events([renamed!.eventId])).get(renamed!.eventId);
    expect(promoted).to.include({ outlier: false, rejectedReason: null });
    expect(promoted!.streamPosition).to.be.a('number');
    const member = await clientApi(() => b)(bob, 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(carol.userId)}`);
    expect(member.json.displayname).to.equal('Carol elsewhere');
  });

  describe('an origin whose get_missing_events answer holds an event signed by the wrong key', function () {
    let hostile: HostileServer;
    before(async function () {
      hostile = await HostileServer.start();
    });
    after(() => hostile.stop());

    it('that event is not stored, nor anything built on it; the valid event before it is', async function () {
      const roomId = await roomOfThree();
      // The second event's signature claims c.test's key but is made with another key.
      const [first, forged, third, fourth, last] = await carolEvents(roomId, messagesOfCarol('hostile', 5), 1);
      hostile.missingEvents = [first!.pdu, forged!.pdu, third!.pdu, fourth!.pdu];
      const results = await sendTransaction(hostile.identity, b, [last!.pdu]);
      expect(results[last!.eventId]?.error).to.match(/^dropped/);
      expect(hostile.requests).to.include(`POST /_matrix/federation/v1/get_missing_events/${enc(roomId)}`);
      const stored = await b.homeserver.storage.roomEvents.events([first!.eventId, forged!.eventId, third!.eventId, fourth!.eventId, last!.eventId]);
      expect([...stored.keys()]).to.deep.equal([first!.eventId]);
      expect((await allMessages(b, bob, roomId)).filter((body) => body.startsWith('hostile'))).to.deep.equal(['hostile 1']);
    });
  });
});

/**
 * A server that misbehaves as no Lattice server would, over HTTPS with a certificate of the test CA,
 * named by its IP literal and port (no DNS needed): it serves its signing key, answers
 * get_missing_events with what the test scripts, and nothing else (404).
 */
class HostileServer {
  missingEvents: unknown[] = [];
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly identity: { serverName: string; key: SigningKey },
  ) {}

  static async start(): Promise<HostileServer> {
    const certificate = await issueTestCertificate('127.0.0.1');
    const key = generateSigningKey();
    let hostile: HostileServer | undefined;
    const server = createServer({ cert: certificate.cert, key: certificate.key }, (request, response) => {
      request.resume();
      request.on('end', () => {
        const path = (request.url ?? '/').split('?')[0]!;
        hostile!.requests.push(`${request.method} ${path}`);
        const { serverName } = hostile!.identity;
        let answer: { status: number; json: unknown } = { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'Not here' } };
        if (path === '/_matrix/key/v2/server') {
          answer = { status: 200, json: signJson({ server_name: serverName, verify_keys: { [key.keyId]: { key: encodePublicKey(key) } }, old_verify_keys: {}, valid_until_ts: Date.now() + 3_600_000 }, serverName, key) };
        } else if (path.startsWith('/_matrix/federation/v1/get_missing_events/')) {
          answer = { status: 200, json: { events: hostile!.missingEvents } };
        }
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hostile = new HostileServer(server, { serverName: `127.0.0.1:${(server.address() as { port: number }).port}`, key });
    return hostile;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
