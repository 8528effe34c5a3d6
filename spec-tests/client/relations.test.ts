import { expect } from 'chai';
import { Direction, type MatrixClient } from 'matrix-js-sdk';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

type Json = Record<string, any>;

for (const engine of testEngines) {
  describe(`client-server-api "Forming relationships between events" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'relations.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const v1 = (user: TestUser, path: string) => rawRequest(server().baseUrl, `/_matrix/client/v1${path}`, { accessToken: user.accessToken });
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let txn = 0;
    const sendEvent = async (user: TestUser, roomId: string, type: string, content: object): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/${type}/r${++txn}`, content);
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const send = (user: TestUser, roomId: string, content: object) => sendEvent(user, roomId, 'm.room.message', { msgtype: 'm.text', ...content });
    const relatesTo = (relType: string, eventId: string, extra: object = {}) => ({ 'm.relates_to': { rel_type: relType, event_id: eventId, ...extra } });
    const edit = (user: TestUser, roomId: string, original: string, body: string) =>
      send(user, roomId, { body: `* ${body}`, 'm.new_content': { msgtype: 'm.text', body }, ...relatesTo('m.replace', original) });
    const redact = async (user: TestUser, roomId: string, eventId: string) => {
      const response = await api(user, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(eventId)}/x${++txn}`, {});
      expect(response.status, response.text).to.equal(200);
    };
    const relations = async (user: TestUser, roomId: string, eventId: string, path = '', query: Record<string, string> = {}) => {
      const response = await v1(user, `${room(roomId)}/relations/${encodeURIComponent(eventId)}${path}?${new URLSearchParams(query)}`);
      expect(response.status, response.text).to.equal(200);
      return response.json as { chunk: Json[]; next_batch?: string; prev_batch?: string; recursion_depth?: number };
    };
    const ids = (chunk: Json[]) => chunk.map((event) => event.event_id);
    const getEvent = async (user: TestUser, roomId: string, eventId: string) => (await api(user, 'GET', `${room(roomId)}/event/${encodeURIComponent(eventId)}`)).json;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let aliceClient: MatrixClient;
    const newRoom = async (options: object = {}): Promise<string> => {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', ...options })).json.room_id;
      expect((await api(bob, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
      return roomId;
    };

    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      carol = await registerUser(server(), 'carol');
      aliceClient = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
    });

    it('"Relationships API": children newest first, filtered by rel_type and event type, paginated both ways', async function () {
      const roomId = await newRoom();
      const parent = await send(alice, roomId, { body: 'parent' });
      const children: string[] = [];
      for (let i = 0; i < 5; i++) children.push(await send(bob, roomId, { body: `ref ${i}`, ...relatesTo('m.reference', parent) }));
      const reaction = await sendEvent(bob, roomId, 'm.reaction', relatesTo('m.annotation', parent, { key: '👍' }));
      await send(alice, roomId, { body: 'unrelated' });

      expect(ids((await relations(alice, roomId, parent)).chunk), 'default limit 5, newest first').to.deep.equal([reaction, ...children.slice(1).reverse()]);
      expect(ids((await relations(alice, roomId, parent, '/m.reference')).chunk)).to.deep.equal([...children].reverse());
      expect(ids((await relations(alice, roomId, parent, '/m.annotation/m.reaction')).chunk)).to.deep.equal([reaction]);
      expect((await relations(alice, roomId, parent, '/m.annotation/m.room.message')).chunk).to.deep.equal([]);
      const child = (await relations(alice, roomId, parent, '/m.annotation')).chunk[0]!;
      expect(child).to.include({ room_id: roomId, type: 'm.reaction', sender: bob.userId });
      expect(child.content['m.relates_to']).to.deep.equal({ rel_type: 'm.annotation', event_id: parent, key: '👍' });

      // Backwards, two at a time.
      const first = await relations(alice, roomId, parent, '/m.reference', { limit: '2' });
      expect(ids(first.chunk)).to.deep.equal([children[4], children[3]]);
      expect(first).to.not.have.property('prev_batch');
      expect(first).to.not.have.property('recursion_depth');
      const second = await relations(alice, roomId, parent, '/m.reference', { limit: '2', from: first.next_batch! });
      expect(ids(second.chunk)).to.deep.equal([children[2], children[1]]);
      expect(second.prev_batch).to.equal(first.next_batch);
      const third = await relations(alice, roomId, parent, '/m.reference', { limit: '2', from: second.next_batch! });
      expect(ids(third.chunk)).to.deep.equal([children[0]]);
      expect(third).to.not.have.property('next_batch');
      // "passing a from token from page 1 and a to token from page 2" covers page 2 exactly.
      expect(ids((await relations(alice, roomId, parent, '/m.reference', { from: first.next_batch!, to: second.next_batch! })).chunk)).to.deep.equal([children[2], children[1]]);
      // Forwards, oldest first, from a page's token.
      const forwards = await relations(alice, roomId, parent, '/m.reference', { dir: 'f', limit: '3' });
      expect(ids(forwards.chunk)).to.deep.equal(children.slice(0, 3));
      expect(ids((await relations(alice, roomId, parent, '/m.reference', { dir: 'f', from: forwards.next_batch! })).chunk)).to.deep.equal(children.slice(3));

      // The SDK's fetchRelations reads the same.
      const viaSdk = await aliceClient.fetchRelations(roomId, parent, 'm.reference', null, { dir: Direction.Forward, limit: 10 });
      expect(viaSdk.chunk.map((event) => event.event_id)).to.deep.equal(children);
    });

    it('"recurse": children of children up to 3 levels, filters at every level, with recursion_depth', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      const reply = await send(bob, roomId, { body: 'in thread', ...relatesTo('m.thread', root) });
      const replyEdit = await edit(bob, roomId, reply, 'in thread (edited)');
      const reaction = await sendEvent(alice, roomId, 'm.reaction', relatesTo('m.annotation', replyEdit, { key: 'x' }));
      const deeper = await sendEvent(alice, roomId, 'm.reaction', relatesTo('m.annotation', reaction, { key: 'y' }));

      expect(ids((await relations(alice, roomId, root)).chunk)).to.deep.equal([reply]);
      const recursed = await relations(alice, roomId, root, '', { recurse: 'true', limit: '10' });
      expect(ids(recursed.chunk), 'three levels, not the fourth').to.deep.equal([reaction, replyEdit, reply]);
      expect(recursed.chunk.map((event) => event.event_id)).to.not.include(deeper);
      expect(recursed.recursion_depth).to.equal(3);
      expect((await relations(alice, roomId, root, '', { recurse: 'false' })).recursion_depth).to.equal(0);
      // "Events … whose only relation to the original given event is through a non-matching intermediate event, will not be included."
      expect(ids((await relations(alice, roomId, root, '/m.thread', { recurse: 'true' })).chunk)).to.deep.equal([reply]);
      expect(ids((await relations(alice, roomId, root, '/m.annotation', { recurse: 'true' })).chunk)).to.deep.equal([]);
    });

    it('"Server-side aggregation of m.replace relationships": the latest valid edit is bundled in /event, /messages, /context and /sync', async function () {
      const roomId = await newRoom();
      const original = await send(alice, roomId, { body: 'I like cake' });
      const firstEdit = await edit(alice, roomId, original, 'I like chocolate cake');
      const latestEdit = await edit(alice, roomId, original, 'I really like chocolate cake');
      // Not valid: another sender, and an edit without m.new_content.
      await send(bob, roomId, { body: '* hijacked', 'm.new_content': { msgtype: 'm.text', body: 'hijacked' }, ...relatesTo('m.replace', original) });
      await send(alice, roomId, { body: '* no new content', ...relatesTo('m.replace', original) });

      const bundled = (event: Json) => event.unsigned?.['m.relations']?.['m.replace'];
      const fromEvent = await getEvent(bob, roomId, original);
      expect(fromEvent.content.body, 'the original content is left intact').to.equal('I like cake');
      expect(bundled(fromEvent)).to.include({ event_id: latestEdit, sender: alice.userId, type: 'm.room.message', room_id: roomId });
      expect(bundled(fromEvent).content['m.new_content'].body).to.equal('I really like chocolate cake');

      const messages = (await api(bob, 'GET', `${room(roomId)}/messages?dir=b&limit=20`)).json.chunk as Json[];
      expect(bundled(messages.find((event) => event.event_id === original)!).event_id).to.equal(latestEdit);
      // An edit itself gets no aggregations.
      expect(messages.find((event) => event.event_id === latestEdit)!.unsigned).to.not.have.property('m.relations');
      const context = (await api(bob, 'GET', `${room(roomId)}/context/${encodeURIComponent(original)}?limit=2`)).json;
      expect(bundled(context.event).event_id).to.equal(latestEdit);
      const sync = (await api(bob, 'GET', `/sync?${new URLSearchParams({ filter: JSON.stringify({ room: { timeline: { limit: 20 } } }) })}`)).json;
      const synced = (sync.rooms.join[roomId].timeline.events as Json[]).find((event) => event.event_id === original)!;
      expect(bundled(synced).event_id).to.equal(latestEdit);
      expect(bundled(synced), 'served as the event is: without room_id in /sync').to.not.have.property('room_id');

      // "Redactions of edited events": redacting the latest edit reverts to the one before.
      await redact(alice, roomId, latestEdit);
      expect(bundled(await getEvent(bob, roomId, original)).event_id).to.equal(firstEdit);
      await redact(alice, roomId, firstEdit);
      expect((await getEvent(bob, roomId, original)).unsigned).to.not.have.property('m.relations');
      // A redacted original bundles no edit, whatever edits remain.
      const another = await edit(alice, roomId, original, 'once more');
      expect(bundled(await getEvent(bob, roomId, original)).event_id).to.equal(another);
      await redact(alice, roomId, original);
      expect((await getEvent(bob, roomId, original)).unsigned['m.relations']).to.equal(undefined);
    });

    it('an edit arriving in an incremental /sync makes the parent\'s bundle change on the next read, not stale', async function () {
      const roomId = await newRoom();
      const original = await send(alice, roomId, { body: 'v1' });
      expect((await getEvent(bob, roomId, original)).unsigned).to.not.have.property('m.relations');
      const since = (await api(bob, 'GET', '/sync')).json.next_batch;
      const replacement = await edit(alice, roomId, original, 'v2');
      const next = (await api(bob, 'GET', `/sync?since=${since}`)).json;
      expect((next.rooms.join[roomId].timeline.events as Json[]).map((event) => event.event_id)).to.deep.equal([replacement]);
      expect((await getEvent(bob, roomId, original)).unsigned['m.relations']['m.replace'].event_id).to.equal(replacement);
    });

    it('"m.annotation": reactions are listed by /relations but not bundled; a duplicate is refused until the first is redacted', async function () {
      const roomId = await newRoom();
      const parent = await send(alice, roomId, { body: 'react to me' });
      const reaction = { ...relatesTo('m.annotation', parent, { key: '🎉' }) };
      const first = (await aliceClient.sendEvent(roomId, 'm.reaction' as never, reaction as never)).event_id;
      await sendEvent(bob, roomId, 'm.reaction', reaction);
      const duplicate = await api(bob, 'PUT', `${room(roomId)}/send/m.reaction/dup${++txn}`, reaction);
      expect(duplicate.status).to.equal(400);
      expect(duplicate.json.errcode).to.equal('M_DUPLICATE_ANNOTATION');
      expect((await relations(bob, roomId, parent, '/m.annotation')).chunk.map((event) => event.sender)).to.deep.equal([bob.userId, alice.userId]);
      expect((await getEvent(bob, roomId, parent)).unsigned, 'annotations are not aggregated').to.not.have.property('m.relations');
      // "When an annotation is redacted, it is removed from the count."
      await redact(alice, roomId, first);
      expect((await relations(bob, roomId, parent, '/m.annotation')).chunk.map((event) => event.sender)).to.deep.equal([bob.userId]);
      await sendEvent(alice, roomId, 'm.reaction', reaction);
    });

    it('"Server-side aggregation of m.reference": a chunk of the referencing event IDs', async function () {
      const roomId = await newRoom();
      const parent = await send(alice, roomId, { body: 'referenced' });
      const one = await sendEvent(bob, roomId, 'org.example.data', relatesTo('m.reference', parent));
      const two = await sendEvent(alice, roomId, 'org.example.data', relatesTo('m.reference', parent));
      const event = await getEvent(bob, roomId, parent);
      expect(event.unsigned['m.relations']).to.deep.equal({ 'm.reference': { chunk: [{ event_id: one }, { event_id: two }] } });
      await redact(bob, roomId, one);
      expect((await getEvent(bob, roomId, parent)).unsigned['m.relations']).to.deep.equal({ 'm.reference': { chunk: [{ event_id: two }] } });
    });

    it('visibility: a non-member gets 403, a parent the user may not see 404, children they may not see are left out', async function () {
      const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] })).json.room_id;
      const hidden = await send(alice, roomId, { body: 'before bob' });
      await api(alice, 'POST', `${room(roomId)}/invite`, { user_id: bob.userId });
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      const parent = await send(alice, roomId, { body: 'while bob is here' });
      const seen = await send(alice, roomId, { body: 'seen', ...relatesTo('m.reference', parent) });
      await api(bob, 'POST', `${room(roomId)}/leave`, {});
      const unseen = await send(alice, roomId, { body: 'after bob left', ...relatesTo('m.reference', parent) });

      const outsider = await v1(carol, `${room(roomId)}/relations/${encodeURIComponent(parent)}`);
      expect(outsider.status).to.equal(403);
      expect(outsider.json.errcode).to.equal('M_FORBIDDEN');
      const notVisible = await v1(bob, `${room(roomId)}/relations/${encodeURIComponent(hidden)}`);
      expect(notVisible.status).to.equal(404);
      expect(notVisible.json.errcode).to.equal('M_NOT_FOUND');
      expect((await v1(alice, `${room(roomId)}/relations/${encodeURIComponent('$unknown')}`)).status).to.equal(404);
      expect(ids((await relations(bob, roomId, parent)).chunk)).to.deep.equal([seen]);
      expect(ids((await relations(alice, roomId, parent)).chunk)).to.deep.equal([unseen, seen]);
    });

    it('"Validation of m.thread relationships": a thread cannot start from an event with a relation (400 M_UNKNOWN)', async function () {
      const roomId = await newRoom();
      const root = await send(alice, roomId, { body: 'root' });
      const reply = await send(bob, roomId, { body: 'reply', ...relatesTo('m.thread', root) });
      const nested = await api(alice, 'PUT', `${room(roomId)}/send/m.room.message/n${++txn}`, { msgtype: 'm.text', body: 'nested', ...relatesTo('m.thread', reply) });
      expect(nested.status).to.equal(400);
      expect(nested.json.errcode).to.equal('M_UNKNOWN');
      const bad = await v1(alice, `${room(roomId)}/relations/${encodeURIComponent(root)}?from=nonsense`);
      expect(bad.status).to.equal(400);
      expect(bad.json.errcode).to.equal('M_INVALID_PARAM');
    });
  });
}
