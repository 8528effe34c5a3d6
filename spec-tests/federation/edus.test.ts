/**
 * server-server-api "EDUs" between real servers: typing ("Typing Notifications"), receipts
 * ("Receipts"), presence ("Presence") and send-to-device ("Send-to-device messaging"). @bob:b.test
 * joins a room of a.test with a PDU signed by b.test; b.test does not know the room itself, so what
 * a.test sends is read from its requester's record, and what a.test receives is sent as signed
 * transactions and read back from a local user's /sync.
 */
import { expect } from 'chai';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';
import { remoteUserEvent } from '../harness/remote-events.ts';
import { TestFederationRequester, xMatrixAuthorization } from '../harness/server-requests.ts';
import { eventually } from '../harness/federation.ts';

const bob = '@bob:b.test';

describe('server-server-api "EDUs": typing, receipts, presence and send-to-device in both directions', function () {
  const requesterOfA = new TestFederationRequester();
  const requesterOfB = new TestFederationRequester();
  let a: TestHomeserver;
  let b: TestHomeserver;
  const api = clientApi(() => a);
  let alice: TestUser;
  let roomId: string;
  /** A room of a.test that bob is not in. */
  let otherRoomId: string;
  let messageId: string;
  let txn = 0;

  const room = (id: string) => `/rooms/${encodeURIComponent(id)}`;
  const sync = (since?: string): Promise<RawResponse> => api(alice, 'GET', `/sync${since ? `?since=${since}` : ''}`);
  const ephemeralOf = (response: RawResponse, id: string, type: string) =>
    response.json.rooms?.join?.[id]?.ephemeral?.events.find((e: { type: string }) => e.type === type) as { content: JsonObject } | undefined;

  /** Sends a.test a transaction of EDUs from b.test, signed by b.test. */
  const sendEdus = async (...edus: JsonObject[]): Promise<void> => {
    const path = `/_matrix/federation/v1/send/edu${++txn}`;
    const body = { origin: 'b.test', origin_server_ts: Date.now(), pdus: [], edus };
    const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
    const response = await rawRequest(a.baseUrl, path, { method: 'PUT', body, headers: { authorization } });
    expect(response.status, response.text).to.equal(200);
  };

  /** The EDUs of `type` a.test has sent to b.test so far. */
  const sentEdus = (type: string): JsonObject[] =>
    requesterOfA.requests
      .filter((r) => r.destination === 'b.test' && r.method === 'PUT' && r.path.startsWith('/_matrix/federation/v1/send/'))
      .flatMap((r) => ((r.body as { edus?: Array<{ edu_type: string; content: JsonObject }> }).edus ?? []).filter((edu) => edu.edu_type === type).map((edu) => edu.content));
  const waitForEdu = async (type: string, predicate: (content: JsonObject) => boolean): Promise<JsonObject> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = sentEdus(type).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching ${type} EDU was sent`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  /** Bob's join of a.test's room, on its current extremities, signed by b.test. */
  const bobJoin = (id: string) => remoteUserEvent(a, id, bob, { type: 'm.room.member', stateKey: bob, content: { membership: 'join' } }, { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey });

  before(async function () {
    a = await startTestHomeserver({ serverName: 'a.test', federationRequester: requesterOfA, config: { enable_registration: true, trusted_key_servers: [] } });
    b = await startTestHomeserver({ serverName: 'b.test', federationRequester: requesterOfB, config: { trusted_key_servers: [] } });
    requesterOfA.origin = { serverName: 'a.test', key: a.homeserver.serverKeys.signingKey };
    requesterOfB.origin = { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey };
    requesterOfA.directory.set('b.test', b.baseUrl);
    requesterOfB.directory.set('a.test', a.baseUrl);
    alice = await registerUser(a, 'alice');
    roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    otherRoomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id;
    messageId = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'read me' })).json.event_id;
    const path = '/_matrix/federation/v1/send/join';
    const body = { origin: 'b.test', origin_server_ts: Date.now(), pdus: [await bobJoin(roomId)] };
    const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
    const joined = await rawRequest(a.baseUrl, path, { method: 'PUT', body, headers: { authorization } });
    expect(Object.values(joined.json.pdus)).to.deep.equal([{}]);
  });
  after(async function () {
    await a.stop();
    await b.stop();
  });

  it('"Typing Notifications": a remote user\'s typing appears in local /sync, and disappears when it stops', async function () {
    const since = (await sync()).json.next_batch;
    await sendEdus({ edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: true } });
    const typing = await sync(since);
    expect(ephemeralOf(typing, roomId, 'm.typing')?.content.user_ids).to.deep.equal([bob]);
    await sendEdus({ edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: false } });
    expect(ephemeralOf(await sync(typing.json.next_batch), roomId, 'm.typing')?.content.user_ids).to.deep.equal([]);
  });

  it('"Typing Notifications": a local user\'s typing is sent to the servers of the room', async function () {
    const typingPath = `${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`;
    await api(alice, 'PUT', typingPath, { typing: true, timeout: 30_000 });
    await waitForEdu('m.typing', (c) => c.room_id === roomId && c.user_id === alice.userId && c.typing === true);
    await api(alice, 'PUT', typingPath, { typing: false });
    await waitForEdu('m.typing', (c) => c.room_id === roomId && c.user_id === alice.userId && c.typing === false);
  });

  it('"Receipts": a remote user\'s read receipt is stored and shown in local /sync', async function () {
    const since = (await sync()).json.next_batch;
    await sendEdus({ edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [bob]: { event_ids: [messageId], data: { ts: 1_700_000_000_000 } } } } } });
    const receipt = ephemeralOf(await sync(since), roomId, 'm.receipt');
    expect(receipt?.content).to.deep.equal({ [messageId]: { 'm.read': { [bob]: { ts: 1_700_000_000_000 } } } });
  });

  it('"Receipts": a local user\'s public read receipt is sent, a private one is not', async function () {
    await api(alice, 'POST', `${room(roomId)}/receipt/m.read.private/${encodeURIComponent(messageId)}`, {});
    await api(alice, 'POST', `${room(roomId)}/receipt/m.read/${encodeURIComponent(messageId)}`, {});
    const sent = await waitForEdu('m.receipt', (c) => c[roomId] !== undefined);
    const read = (sent[roomId] as { 'm.read': Record<string, { event_ids: string[]; data: { ts: number } }> })['m.read'];
    expect(read[alice.userId]!.event_ids).to.deep.equal([messageId]);
    expect(read[alice.userId]!.data.ts).to.be.a('number');
    expect(sentEdus('m.receipt').flatMap((c) => Object.values(c).flatMap((byType) => Object.keys(byType as JsonObject)))).to.deep.equal(['m.read']);
  });

  it('"Presence": a remote user\'s presence reaches local users sharing a room', async function () {
    const since = (await sync()).json.next_batch;
    await sendEdus({ edu_type: 'm.presence', content: { push: [{ user_id: bob, presence: 'online', last_active_ago: 5_000, currently_active: true, status_msg: 'on b.test' }] } });
    const events = (await sync(since)).json.presence.events as Array<{ sender: string; content: JsonObject }>;
    const ofBob = events.filter((e) => e.sender === bob).at(-1);
    expect(ofBob?.content).to.include({ presence: 'online', currently_active: true, status_msg: 'on b.test' });
    expect(ofBob?.content.last_active_ago).to.be.within(5_000, 60_000);
  });

  it('"Presence": a local user\'s change is sent to the servers sharing a room with them', async function () {
    await api(alice, 'PUT', `/presence/${encodeURIComponent(alice.userId)}/status`, { presence: 'unavailable', status_msg: 'away from a.test' });
    const sent = await waitForEdu('m.presence', (c) => (c.push as JsonObject[]).some((u) => u.user_id === alice.userId && u.status_msg === 'away from a.test'));
    const update = (sent.push as JsonObject[])[0]!;
    expect(update).to.include({ user_id: alice.userId, presence: 'unavailable', currently_active: false });
    expect(update.last_active_ago).to.be.a('number');
  });

  it('"Send-to-device messaging": a remote sender\'s message reaches the local device once per message_id', async function () {
    const since = (await sync()).json.next_batch;
    const message = (messageIdOfEdu: string, n: number) => ({
      edu_type: 'm.direct_to_device',
      content: { sender: bob, type: 'm.test', message_id: messageIdOfEdu, messages: { [alice.userId]: { [alice.deviceId]: { n } } } },
    });
    await sendEdus(message('msg1', 1));
    const first = await sync(since);
    expect(first.json.to_device.events).to.deep.equal([{ sender: bob, type: 'm.test', content: { n: 1 } }]);
    // The same message_id again (the origin retried it), then a new one.
    await sendEdus(message('msg1', 2));
    await sendEdus({ ...message('msg2', 3), content: { ...message('msg2', 3).content, messages: { [alice.userId]: { '*': { n: 3 } } } } });
    expect((await sync(first.json.next_batch)).json.to_device.events).to.deep.equal([{ sender: bob, type: 'm.test', content: { n: 3 } }]);
  });

  it('"Send-to-device messaging": messages for remote users go to their server, once per client transaction', async function () {
    const send = (txnId: string, body: JsonObject) =>
      api(alice, 'PUT', `/sendToDevice/m.test/${txnId}`, { messages: { [bob]: { BOBDEVICE: body }, [alice.userId]: { [alice.deviceId]: { local: true } } } });
    expect((await send('out1', { hello: 'b.test' })).status).to.equal(200);
    const sent = await waitForEdu('m.direct_to_device', (c) => (c.messages as JsonObject)[bob] !== undefined);
    expect(sent).to.deep.include({ sender: alice.userId, type: 'm.test', messages: { [bob]: { BOBDEVICE: { hello: 'b.test' } } } });
    expect(sent.message_id).to.be.a('string').with.length.within(1, 32);
    // A retried client transaction sends nothing more: the next request's EDU follows the first alone.
    await send('out1', { hello: 'b.test' });
    await send('out2', { hello: 'again' });
    await waitForEdu('m.direct_to_device', (c) => JSON.stringify(c.messages).includes('again'));
    expect(sentEdus('m.direct_to_device').map((c) => c.message_id)).to.have.length(2);
  });

  it('ignores EDUs for users of other servers, rooms the user is not in, and wrong shapes', async function () {
    const since = (await sync()).json.next_batch;
    const laterId = (await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/m2`, { msgtype: 'm.text', body: 'read me too' })).json.event_id;
    const since2 = (await sync(since)).json.next_batch;
    const receiptOf = (eventId: string) => ({ event_ids: [eventId], data: { ts: 1_700_000_000_001 } });
    await sendEdus(
      // Typing: a user of c.test, one of a.test, bob in a room he is not in, a wrong shape; then bob, rightly.
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: '@carol:c.test', typing: true } },
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: alice.userId, typing: true } },
      { edu_type: 'm.typing', content: { room_id: otherRoomId, user_id: bob, typing: true } },
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: 'yes' } },
      // Receipts: bob's in a room he is not in, carol's, alice's, one with two event IDs; then bob's, rightly.
      { edu_type: 'm.receipt', content: { [otherRoomId]: { 'm.read': { [bob]: receiptOf(laterId) } } } },
      { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [alice.userId]: receiptOf(laterId) } } } },
      { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { '@carol:c.test': receiptOf(laterId), [bob]: { event_ids: [laterId, messageId], data: { ts: 1 } } } } } },
      // Presence and to-device of users of c.test and a.test.
      { edu_type: 'm.presence', content: { push: [{ user_id: '@carol:c.test', presence: 'online', last_active_ago: 0 }] } },
      { edu_type: 'm.presence', content: { push: [{ user_id: alice.userId, presence: 'offline', last_active_ago: 0, status_msg: 'spoofed' }] } },
      { edu_type: 'm.direct_to_device', content: { sender: '@carol:c.test', type: 'm.test', message_id: 'x1', messages: { [alice.userId]: { '*': { from: 'carol' } } } } },
      { edu_type: 'm.direct_to_device', content: { sender: alice.userId, type: 'm.test', message_id: 'x2', messages: { [alice.userId]: { '*': { from: 'alice?' } } } } },
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: true } },
      { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [bob]: receiptOf(laterId) } } } },
    );
    const after = await sync(since2);
    expect(ephemeralOf(after, roomId, 'm.typing')?.content.user_ids).to.deep.equal([bob]);
    expect(ephemeralOf(after, roomId, 'm.receipt')?.content).to.deep.equal({ [laterId]: { 'm.read': { [bob]: { ts: 1_700_000_000_001 } } } });
    expect(after.json.rooms?.join?.[otherRoomId]).to.equal(undefined);
    const presence = (after.json.presence?.events ?? []) as Array<{ sender: string; content: JsonObject }>;
    expect(presence.map((e) => e.sender)).not.to.include('@carol:c.test');
    expect(presence.map((e) => e.content.status_msg)).not.to.include('spoofed');
    // Alice's presence is served from memory while she is online: what would outlive it is the stored row.
    expect((await a.homeserver.storage.presence.get(alice.userId))?.statusMsg).to.equal('away from a.test');
    expect(after.json.to_device?.events ?? []).to.deep.equal([]);
    await sendEdus({ edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: false } });
  });

  it('to-device messages and device list updates for a server that is down reach it after the sender restarts', async function () {
    const aConfig = { enable_registration: true, trusted_key_servers: [] };
    requesterOfA.directory.delete('b.test');
    const answered = await api(alice, 'PUT', '/sendToDevice/m.test/while-down', { messages: { [bob]: { BOBDEVICE: { sent: 'while b.test was down' } } } });
    expect(answered.status).to.equal(200);
    // Renaming a device is a device list change for b.test, where bob shares her room.
    const renamed = await api(alice, 'PUT', `/devices/${alice.deviceId}`, { display_name: 'renamed while b.test was down' });
    expect(renamed.status, renamed.text).to.equal(200);
    // The update is written to the outbox just after the device's commit: a graceful stop waits for it.
    await eventually(async () => (await a.homeserver.storage.federationOutbox.nextEdus('b.test', 100)).some(({ edu }) => edu.edu_type === 'm.device_list_update'));
    await a.stop({ keepData: true });
    a = await startTestHomeserver({ reuse: a, federationRequester: requesterOfA, config: aConfig });
    requesterOfA.directory.set('b.test', b.baseUrl);
    const message = await waitForEdu('m.direct_to_device', (c) => JSON.stringify(c.messages).includes('while b.test was down'));
    expect(message).to.deep.include({ sender: alice.userId, type: 'm.test', messages: { [bob]: { BOBDEVICE: { sent: 'while b.test was down' } } } });
    await waitForEdu('m.device_list_update', (c) => c.user_id === alice.userId && c.device_display_name === 'renamed while b.test was down');
  });
});
