/**
 * server-server-api "Transactions" between real servers: b.test sends a.test a signed transaction with
 * a remote user's join and message (built and signed with b.test's key, as b.test would), and a.test's
 * clients see them; a.test sends its own events in a room with a remote member to b.test, through a
 * persisted outbox that survives b.test being down.
 */
import { expect } from 'chai';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { generateSigningKey } from '../../src/core/crypto/signing-key.ts';
import { buildEvent } from '../../src/core/events/build-event.ts';
import type { EventId, RoomId, UserId } from '../../src/core/ids/identifiers.ts';
import { getRoomVersion } from '../../src/core/room-versions/known-versions.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';
import { remoteUserEvent, type RemoteEventDraft } from '../harness/remote-events.ts';
import { TestFederationRequester, xMatrixAuthorization } from '../harness/server-requests.ts';

describe('server-server-api "Transactions": PUT /send/{txnId} in both directions', function () {
  const requesterOfA = new TestFederationRequester();
  const requesterOfB = new TestFederationRequester();
  let a: TestHomeserver;
  let b: TestHomeserver;
  const api = clientApi(() => a);
  let alice: TestUser;
  let txn = 0;

  before(async function () {
    a = await startTestHomeserver({ serverName: 'a.test', federationRequester: requesterOfA, config: { enable_registration: true, trusted_key_servers: [] } });
    b = await startTestHomeserver({ serverName: 'b.test', federationRequester: requesterOfB, config: { trusted_key_servers: [] } });
    requesterOfA.origin = { serverName: 'a.test', key: a.homeserver.serverKeys.signingKey };
    requesterOfB.origin = { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey };
    requesterOfA.directory.set('b.test', b.baseUrl);
    requesterOfB.directory.set('a.test', a.baseUrl);
    alice = await registerUser(a, 'alice');
  });
  after(async function () {
    await a.stop();
    await b.stop();
  });

  /** PUT /send/{txnId} to a.test, signed by b.test. */
  const sendTransaction = (body: JsonObject, txnId = `t${++txn}`): Promise<RawResponse> => {
    const path = `/_matrix/federation/v1/send/${txnId}`;
    const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
    return rawRequest(a.baseUrl, path, { method: 'PUT', body, headers: { authorization } });
  };
  const transaction = (pdus: JsonObject[]) => ({ origin: 'b.test', origin_server_ts: Date.now(), pdus });

  /** An event of @bob:b.test in a.test's room, on the room's current extremities, signed by b.test. */
  const bobEvent = (roomId: string, draft: RemoteEventDraft) => remoteUserEvent(a, roomId, '@bob:b.test', draft, { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey });

  it('accepts a remote join and message sent in a transaction; local clients see them in /sync', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const since = (await api(alice, 'GET', '/sync')).json.next_batch;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    const joined = await sendTransaction(transaction([join]));
    expect(joined.status, joined.text).to.equal(200);
    const joinId = Object.keys(joined.json.pdus)[0]!;
    expect(joined.json.pdus[joinId]).to.deep.equal({});
    const message = await bobEvent(roomId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'hello from b.test' } });
    const sent = await sendTransaction(transaction([message]));
    expect(Object.values(sent.json.pdus)).to.deep.equal([{}]);
    const sync = await api(alice, 'GET', `/sync?since=${since}`);
    const bodies = sync.json.rooms.join[roomId].timeline.events.map((e: { sender: string; content: { body?: string; membership?: string } }) => `${e.sender} ${e.content.body ?? e.content.membership}`);
    expect(bodies).to.deep.equal(['@bob:b.test join', '@bob:b.test hello from b.test']);
  });

  it('a transaction\'s events in order: chained messages, a fork and its merge, a state change, a rejected event and a repeat', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    expect(Object.values((await sendTransaction(transaction([join]))).json.pdus)).to.deep.equal([{}]);
    const state = await api(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state`);
    const idOf = (key: string) => state.json.find((e: { type: string; state_key: string }) => `${e.type}|${e.state_key}` === key).event_id as EventId;
    const auth = [idOf('m.room.power_levels|'), idOf('m.room.member|@bob:b.test')];
    let depth = 100;
    const build = (prevEvents: string[], type: string, content: JsonObject, stateKey?: string) =>
      buildEvent(
        { rules: getRoomVersion('12'), roomId: roomId as RoomId, type, stateKey, sender: '@bob:b.test' as UserId, content, prevEvents: prevEvents as EventId[], authEvents: auth, depth: ++depth, originServerTs: Date.now() },
        { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey },
      );
    const pdus: JsonObject[] = [];
    let tip = await a.homeserver.storage.roomEvents.forwardExtremities(roomId);
    const message = (n: number, prevs = tip) => {
      const built = build(prevs, 'm.room.message', { msgtype: 'm.text', body: `m${n}` });
      pdus.push(built.pdu);
      return built.event.eventId as string;
    };
    for (let n = 1; n <= 10; n++) tip = [message(n)];
    // A fork of two messages on m10, merged by the next.
    const left = message(11);
    const right = message(12);
    tip = [message(13, [left, right])];
    // A topic change, which bob lacks the power for (rejected), beside one he may make: his display name.
    const topic = build(tip, 'm.room.topic', { topic: 'from b.test' }, '');
    pdus.push(topic.pdu);
    const rename = build(tip, 'm.room.member', { membership: 'join', displayname: 'Bob of b.test' }, '@bob:b.test');
    pdus.push(rename.pdu);
    tip = [rename.event.eventId];
    for (let n = 14; n <= 20; n++) tip = [message(n)];
    // The same PDU twice in one transaction.
    pdus.push(pdus[3]!);
    const answer = await sendTransaction(transaction(pdus));
    expect(answer.status, answer.text).to.equal(200);
    const results = answer.json.pdus as Record<string, { error?: string }>;
    expect(results[topic.event.eventId]?.error).to.match(/^rejected/);
    expect(Object.entries(results).filter(([id]) => id !== topic.event.eventId).map(([, result]) => result)).to.deep.equal(Array.from({ length: 21 }, () => ({})));
    const messages = await api(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=30`);
    const bodies = messages.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message').map((e: { content: { body: string } }) => e.content.body);
    expect(bodies.slice(0, 7)).to.deep.equal(['m20', 'm19', 'm18', 'm17', 'm16', 'm15', 'm14']);
    expect([...bodies].sort()).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i + 1}`).sort());
    const member = await api(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent('@bob:b.test')}`);
    expect(member.json.displayname).to.equal('Bob of b.test');
    const extremities = await a.homeserver.storage.roomEvents.forwardExtremities(roomId);
    expect(extremities).to.deep.equal([tip[0]]);
  });

  it('"Checks performed on receipt of a PDU": a bad signature, a bad content hash, a failed auth check and a soft failure, each treated as the spec says, beside a valid message', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const room = `/rooms/${encodeURIComponent(roomId)}`;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    expect(Object.values((await sendTransaction(transaction([join]))).json.pdus)).to.deep.equal([{}]);
    const key = b.homeserver.serverKeys.signingKey;
    const state = await api(alice, 'GET', `${room}/state`);
    const idOf = (stateKey: string) => state.json.find((e: { type: string; state_key: string }) => `${e.type}|${e.state_key}` === stateKey).event_id as EventId;
    const afterJoin = await a.homeserver.storage.roomEvents.forwardExtremities(roomId);
    let depth = 50;
    const build = (body: string, signer = key, prevEvents = afterJoin) =>
      buildEvent(
        {
          rules: getRoomVersion('12'),
          roomId: roomId as RoomId,
          type: 'm.room.message',
          sender: '@bob:b.test' as UserId,
          content: { msgtype: 'm.text', body },
          prevEvents: prevEvents as EventId[],
          authEvents: [idOf('m.room.power_levels|'), idOf('m.room.member|@bob:b.test')],
          depth: ++depth,
          originServerTs: Date.now(),
        },
        { serverName: 'b.test', key: signer },
      );
    // 2. Signed with another key under b.test's key ID: dropped.
    const forged = build('forged', { ...generateSigningKey(), keyId: key.keyId, version: key.version });
    // 3. Content changed after hashing and signing: the signature (over the redacted event) holds; accepted redacted.
    const tampered = build('original');
    const tamperedPdu = { ...tampered.pdu, content: { msgtype: 'm.text', body: 'changed on the way' } };
    const valid = build('valid', key, [tampered.event.eventId]);
    // 4. An intruder's message (never joined): rejected.
    const intruder = buildEvent(
      { rules: getRoomVersion('12'), roomId: roomId as RoomId, type: 'm.room.message', sender: '@mallory:b.test' as UserId, content: { msgtype: 'm.text', body: 'intruder' }, prevEvents: [valid.event.eventId], authEvents: [idOf('m.room.power_levels|')], depth: ++depth, originServerTs: Date.now() },
      { serverName: 'b.test', key },
    );
    const answer = await sendTransaction(transaction([forged.pdu, tamperedPdu, valid.pdu, intruder.pdu]));
    expect(answer.status).to.equal(200);
    const results = answer.json.pdus as Record<string, { error?: string }>;
    expect(results[forged.event.eventId]?.error).to.match(/^dropped/);
    expect(results[tampered.event.eventId]).to.deep.equal({});
    expect(results[valid.event.eventId]).to.deep.equal({});
    expect(results[intruder.event.eventId]?.error).to.match(/^rejected/);
    // 6. alice bans bob; then a message of his built before the ban passes at its position but not against the current state.
    expect((await api(alice, 'POST', `${room}/ban`, { user_id: '@bob:b.test', reason: 'test' })).status).to.equal(200);
    const late = build('sent before the ban reached b.test', key, [valid.event.eventId]);
    const lateAnswer = await sendTransaction(transaction([late.pdu]));
    expect((lateAnswer.json.pdus as Record<string, { error?: string }>)[late.event.eventId]?.error).to.match(/^soft-failed/);

    const messages = await api(alice, 'GET', `${room}/messages?dir=b&limit=50`);
    const events = messages.json.chunk as Array<{ event_id: string; type: string; content: { body?: string } }>;
    expect(events.map((e) => e.event_id)).to.not.include.members([forged.event.eventId, intruder.event.eventId, late.event.eventId]);
    expect(events.find((e) => e.event_id === valid.event.eventId)?.content.body).to.equal('valid');
    expect(events.find((e) => e.event_id === tampered.event.eventId)?.content).to.deep.equal({});
    expect((await api(alice, 'GET', `${room}/event/${encodeURIComponent(intruder.event.eventId)}`)).status).to.equal(404);
    // Nothing else in the room was affected: bob is banned, alice can still send.
    expect((await api(alice, 'GET', `${room}/state/m.room.member/${encodeURIComponent('@bob:b.test')}`)).json.membership).to.equal('ban');
    expect((await api(alice, 'PUT', `${room}/send/m.room.message/after-hostile`, { msgtype: 'm.text', body: 'still here' })).status).to.equal(200);
  });

  it('answers a retried transaction as before, and reports a PDU that failed its checks', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const intruderMessage = await bobEvent(roomId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'not a member' } });
    const first = await sendTransaction(transaction([intruderMessage]), 'retried');
    const [result] = Object.values(first.json.pdus) as Array<{ error?: string }>;
    expect(result!.error).to.match(/^rejected/);
    const again = await sendTransaction(transaction([intruderMessage]), 'retried');
    expect(again.json).to.deep.equal(first.json);
  });

  it('"Server Access Control Lists": PDUs of a room whose ACL denies the origin are ignored, and so is its make_join', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    expect(Object.values((await sendTransaction(transaction([join]))).json.pdus)).to.deep.equal([{}]);
    expect((await api(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/state/m.room.server_acl`, { allow: ['*'], deny: ['b.test'], allow_ip_literals: false })).status).to.equal(200);
    const message = await bobEvent(roomId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'after the ACL' } });
    const answer = await sendTransaction(transaction([message]));
    expect(answer.status).to.equal(200);
    const messages = await api(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=10`);
    expect(messages.json.chunk.map((e: { content: { body?: string } }) => e.content.body)).to.not.include('after the ACL');
    const path = `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent('@other:b.test')}?ver=12`;
    const authorization = xMatrixAuthorization({ method: 'GET', uri: path, origin: 'b.test', destination: 'a.test' }, b.homeserver.serverKeys.signingKey);
    const makeJoin = await rawRequest(a.baseUrl, path, { headers: { authorization } });
    expect(makeJoin.status).to.equal(403);
    expect(makeJoin.json.errcode).to.equal('M_FORBIDDEN');
  });

  it('refuses a transaction larger than 50 PDUs, one whose origin is not the signer, and one not signed', async function () {
    const tooMany = await sendTransaction({ origin: 'b.test', origin_server_ts: Date.now(), pdus: Array.from({ length: 51 }, () => ({})) });
    expect(tooMany.status).to.equal(400);
    const otherOrigin = await sendTransaction({ origin: 'c.test', origin_server_ts: Date.now(), pdus: [] });
    expect(otherOrigin.json.errcode).to.equal('M_FORBIDDEN');
    const unsigned = await rawRequest(a.baseUrl, '/_matrix/federation/v1/send/unsigned', { method: 'PUT', body: transaction([]) });
    expect(unsigned.status).to.equal(401);
    expect(unsigned.json.errcode).to.equal('M_UNAUTHORIZED');
  });

  it('sends local events to the servers of a room\'s remote members, and catches up a server that was down', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    expect((await sendTransaction(transaction([join]))).status).to.equal(200);
    const sentTransactions = () => requesterOfA.requests.filter((r) => r.destination === 'b.test' && r.method === 'PUT' && r.path.startsWith('/_matrix/federation/v1/send/'));
    const before = sentTransactions().length;
    const event = await api(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/out1`, { msgtype: 'm.text', body: 'to b.test' });
    await waitFor(async () => sentTransactions().length > before && (await a.homeserver.storage.federationOutbox.destinations()).length === 0);
    const carried = sentTransactions().slice(before).flatMap((r) => ((r.body as { pdus: Array<{ content: { body?: string } }> }).pdus ?? []).map((pdu) => pdu.content.body));
    expect(carried).to.include('to b.test');
    expect(event.status).to.equal(200);

    // b.test goes away: the event waits in the outbox, and goes out once b.test is back.
    requesterOfA.directory.delete('b.test');
    await api(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/out2`, { msgtype: 'm.text', body: 'while you were away' });
    await waitFor(async () => (await a.homeserver.storage.federationOutbox.destinations()).includes('b.test'));
    const failedBefore = sentTransactions().length;
    await waitFor(async () => sentTransactions().length > failedBefore);
    requesterOfA.directory.set('b.test', b.baseUrl);
    await waitFor(async () => (await a.homeserver.storage.federationOutbox.destinations()).length === 0, 15_000);
    const retried = sentTransactions().slice(failedBefore).flatMap((r) => ((r.body as { pdus: Array<{ content: { body?: string } }> }).pdus ?? []).map((pdu) => pdu.content.body));
    expect(retried).to.include('while you were away');
  });

  it('a server that was down and sends a signed request is caught up at once, not when its backoff ends', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    const join = await bobEvent(roomId, { type: 'm.room.member', stateKey: '@bob:b.test', content: { membership: 'join' } });
    expect((await sendTransaction(transaction([join]))).status).to.equal(200);
    const sentTransactions = () => requesterOfA.requests.filter((r) => r.destination === 'b.test' && r.method === 'PUT' && r.path.startsWith('/_matrix/federation/v1/send/'));
    requesterOfA.directory.delete('b.test');
    const failedBefore = sentTransactions().length;
    await api(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/back1`, { msgtype: 'm.text', body: 'are you back?' });
    // Two failures: the next try is at least 2 s away (destination-queue.ts: 2 s, doubled, times 0.5 to 1).
    await waitFor(async () => sentTransactions().length >= failedBefore + 2);
    requesterOfA.directory.set('b.test', b.baseUrl);
    const back = Date.now();
    expect((await sendTransaction(transaction([]))).status).to.equal(200);
    await waitFor(async () => (await a.homeserver.storage.federationOutbox.destinations()).length === 0, 1_500);
    expect(Date.now() - back).to.be.below(1_500);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
