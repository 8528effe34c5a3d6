/**
 * client-server-api "Forming relationships between events" across servers: relations that arrive over
 * federation (server-server-api "Transactions") and relations of the room's past fetched by backfill
 * ("Backfilling and retrieving missing events") are indexed like local ones, so b.test bundles and
 * lists them.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import type { TestUser } from '../harness/accounts.ts';
import { eventually, startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

type Json = Record<string, any>;

for (const engine of testEngines) describe(`relations received over federation and by backfill on ${engine}`, function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  let txn = 0;
  const enc = encodeURIComponent;

  before(async function () {
    ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine }));
  });
  after(() => federation.stop());

  const call = (server: TestHomeserver, user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: object, version = 'v3') =>
    rawRequest(server.baseUrl, `/_matrix/client/${version}${path}`, { method, body, accessToken: user.accessToken });
  const send = async (server: TestHomeserver, user: TestUser, roomId: string, content: object): Promise<string> => {
    const response = await call(server, user, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/f${++txn}`, { msgtype: 'm.text', ...content });
    expect(response.status, response.text).to.equal(200);
    return response.json.event_id;
  };
  const relations = (event: Json) => event.unsigned?.['m.relations'];

  it('a thread and an edit from before bob joined (backfilled), then a reply sent after (received)', async function () {
    const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
    const root = await send(a, alice, roomId, { body: 'root' });
    const firstReply = await send(a, alice, roomId, { body: 'first', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const edit = await send(a, alice, roomId, { body: '* root!', 'm.new_content': { msgtype: 'm.text', body: 'root!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: root } });
    for (let i = 0; i < 5; i++) await send(a, alice, roomId, { body: `filler ${i}` });
    expect((await call(b, bob, 'POST', `/join/${enc(roomId)}?via=a.test`, {})).status).to.equal(200);

    // Scrolling back fetches the history from a.test.
    const messages = (await call(b, bob, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).json.chunk as Json[];
    const served = messages.find((event) => event.event_id === root);
    expect(served, 'the root was backfilled').to.not.equal(undefined);
    expect(relations(served!)['m.thread']).to.include({ count: 1 });
    expect(relations(served!)['m.thread'].latest_event.event_id).to.equal(firstReply);
    expect(relations(served!)['m.replace'].event_id).to.equal(edit);

    const secondReply = await send(a, alice, roomId, { body: 'second', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const event = await eventually(async () => {
      const current = (await call(b, bob, 'GET', `/rooms/${enc(roomId)}/event/${enc(root)}`)).json as Json;
      return relations(current)?.['m.thread']?.count === 2 && current;
    });
    expect(relations(event)['m.thread'].latest_event.event_id).to.equal(secondReply);
    const threads = (await call(b, bob, 'GET', `/rooms/${enc(roomId)}/threads`, undefined, 'v1')).json;
    expect(threads.chunk.map((thread: Json) => thread.event_id)).to.deep.equal([root]);
    const children = (await call(b, bob, 'GET', `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread`, undefined, 'v1')).json;
    expect(children.chunk.map((child: Json) => child.event_id)).to.deep.equal([secondReply, firstReply]);
  });
});
