import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';

interface SearchResult {
  rank: number;
  result: { event_id: string; type: string; room_id: string; sender: string; content: Record<string, unknown> };
  context?: { events_before: Array<{ event_id: string }>; events_after: Array<{ event_id: string }>; start: string; end: string; profile_info?: Record<string, { displayname?: string }> };
}

for (const engine of testEngines) {
  describe(`client-server-api "Server Side Search" (POST /search) on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'search.test', engine, config: { enable_registration: true } });
    const api = clientApi(server);
    const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;
    let txn = 0;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;

    const send = async (user: TestUser, roomId: string, body: string): Promise<string> => {
      const response = await api(user, 'PUT', `${room(roomId)}/send/m.room.message/t${++txn}`, { msgtype: 'm.text', body });
      expect(response.status, response.text).to.equal(200);
      return response.json.event_id;
    };
    const createRoom = async (user: TestUser, options: object = { preset: 'public_chat' }): Promise<string> => {
      const response = await api(user, 'POST', '/createRoom', options);
      expect(response.status, response.text).to.equal(200);
      return response.json.room_id;
    };
    const join = async (user: TestUser, roomId: string) => expect((await api(user, 'POST', `${room(roomId)}/join`, {})).status).to.equal(200);
    const search = (user: TestUser, criteria: object, nextBatch?: string): Promise<RawResponse> =>
      api(user, 'POST', `/search${nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`}`, { search_categories: { room_events: criteria } });
    const roomEvents = async (user: TestUser, criteria: object, nextBatch?: string) => {
      const response = await search(user, criteria, nextBatch);
      expect(response.status, response.text).to.equal(200);
      return response.json.search_categories.room_events as { results: SearchResult[]; count: number; highlights: string[]; next_batch?: string; groups?: any; state?: any };
    };
    const ids = (results: SearchResult[]) => results.map((r) => r.result.event_id);
    /** Every result of a search, page by page, and the number of pages. */
    const allPages = async (user: TestUser, criteria: object, first?: string) => {
      const found: string[] = [];
      let nextBatch = first;
      let pages = 0;
      do {
        const page = await roomEvents(user, criteria, nextBatch);
        found.push(...ids(page.results));
        nextBatch = page.next_batch;
        pages++;
      } while (nextBatch !== undefined && pages < 20);
      return { found, pages };
    };

    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
      carol = await registerUser(server(), 'carol');
    });

    it('"room_events": finds a message by a word of its content.body, as a ClientEvent with a rank, a count and the highlights', async function () {
      const roomId = await createRoom(alice);
      await join(bob, roomId);
      const eventId = await send(alice, roomId, 'The Martians are coming, hide the men!');
      await send(alice, roomId, 'nothing to see');
      const found = await roomEvents(bob, { search_term: 'martians' });
      expect(ids(found.results)).to.deep.equal([eventId]);
      const [result] = found.results;
      expect(result!.result).to.include({ event_id: eventId, type: 'm.room.message', room_id: roomId, sender: alice.userId });
      expect(result!.result.content.body).to.equal('The Martians are coming, hide the men!');
      expect(result!.rank).to.be.a('number').greaterThan(0);
      expect(found.count).to.equal(1);
      expect(found.highlights).to.deep.equal(['martians']);
      expect(found.next_batch).to.equal(undefined);
      // Words match as prefixes, case-insensitively: the singular finds the plural.
      expect(ids((await roomEvents(bob, { search_term: 'MARTIAN' })).results)).to.deep.equal([eventId]);
      // Every word must be there.
      expect((await roomEvents(bob, { search_term: 'martians venus' })).results).to.deep.equal([]);
    });

    it('"Security considerations": only rooms the user is in, and in a room they left only what they could see before leaving', async function () {
      const roomId = await createRoom(alice, { preset: 'private_chat', invite: [bob.userId] });
      await join(bob, roomId);
      const before = await send(alice, roomId, 'zebra crossing before');
      expect((await api(bob, 'POST', `${room(roomId)}/leave`, {})).status).to.equal(200);
      const after = await send(alice, roomId, 'zebra crossing after');
      expect(ids((await roomEvents(alice, { search_term: 'zebra', order_by: 'recent' })).results)).to.deep.equal([after, before]);
      expect(ids((await roomEvents(bob, { search_term: 'zebra' })).results), 'a left room: until the leave').to.deep.equal([before]);
      // Pages skip what the user may not see without losing what they may.
      for (let i = 0; i < 3; i++) await send(alice, roomId, `zebra crossing later ${i}`);
      expect((await allPages(bob, { search_term: 'zebra', order_by: 'recent', filter: { limit: 1 } })).found).to.deep.equal([before]);
      expect((await roomEvents(carol, { search_term: 'zebra' })).results, 'never in the room').to.deep.equal([]);
      expect((await roomEvents(carol, { search_term: 'zebra' })).count).to.equal(0);
      // A forgotten room is not searched any more.
      expect((await api(bob, 'POST', `${room(roomId)}/forget`, {})).status).to.equal(200);
      expect((await roomEvents(bob, { search_term: 'zebra' })).results).to.deep.equal([]);
    });

    it('"Ordering": rank puts the most relevant first, recent the newest first', async function () {
      const roomId = await createRoom(alice);
      const long = await send(alice, roomId, 'kiwi fruit salad with many other ingredients listed in this long message');
      const twice = await send(alice, roomId, 'kiwi kiwi');
      const once = await send(alice, roomId, 'a kiwi');
      const byRank = await roomEvents(alice, { search_term: 'kiwi', order_by: 'rank' });
      expect(ids(byRank.results)).to.deep.equal([twice, once, long]);
      const ranks = byRank.results.map((r) => r.rank);
      expect(ranks).to.deep.equal([...ranks].sort((a, b) => b - a));
      expect(ranks[0]).to.be.greaterThan(ranks[2]!);
      expect(ids((await roomEvents(alice, { search_term: 'kiwi', order_by: 'recent' })).results)).to.deep.equal([once, twice, long]);
      // "The default ordering is rank."
      expect(ids((await roomEvents(alice, { search_term: 'kiwi' })).results)).to.deep.equal([twice, once, long]);
    });

    it('"Pagination": next_batch pages through every result once, in both orders, and is absent on the last page', async function () {
      const roomId = await createRoom(alice);
      const sent: string[] = [];
      for (let i = 0; i < 7; i++) sent.push(await send(alice, roomId, `paginated ${'word '.repeat(i % 3)}message ${i}`));
      for (const order_by of ['rank', 'recent']) {
        const criteria = { search_term: 'paginated', order_by, filter: { limit: 3 } };
        const first = await roomEvents(alice, criteria);
        expect(first.results).to.have.length(3);
        expect(first.count).to.equal(7);
        expect(first.next_batch).to.be.a('string');
        const { found, pages } = await allPages(alice, criteria);
        expect(pages, order_by).to.equal(3);
        expect(found, order_by).to.have.length(7);
        expect(new Set(found), order_by).to.deep.equal(new Set(sent));
        if (order_by === 'recent') expect(found).to.deep.equal([...sent].reverse());
      }
      // A token is for the order it was given in.
      const rankToken = (await roomEvents(alice, { search_term: 'paginated', filter: { limit: 3 } })).next_batch!;
      const mixed = await search(alice, { search_term: 'paginated', order_by: 'recent', filter: { limit: 3 } }, rankToken);
      expect(mixed.status).to.equal(400);
      expect(mixed.json.errcode).to.equal('M_INVALID_PARAM');
      const garbage = await search(alice, { search_term: 'paginated' }, 'not-a-token');
      expect(garbage.status).to.equal(400);
      expect(garbage.json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('"Groups": results grouped by room_id and sender, each group with its order and a next_batch that pages within it', async function () {
      const first = await createRoom(alice);
      const second = await createRoom(alice);
      await join(bob, second);
      const inFirst = [await send(alice, first, 'grouped one'), await send(alice, first, 'grouped two')];
      const inSecond = [await send(bob, second, 'grouped three'), await send(bob, second, 'grouped four')];
      const criteria = { search_term: 'grouped', order_by: 'recent', filter: { limit: 3 }, groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] } };
      const page = await roomEvents(alice, criteria);
      expect(ids(page.results)).to.deep.equal([inSecond[1], inSecond[0], inFirst[1]]);
      expect(page.groups.room_id[second]).to.include({ order: 1 });
      expect(page.groups.room_id[second].results).to.deep.equal([inSecond[1], inSecond[0]]);
      expect(page.groups.room_id[first]).to.include({ order: 2 });
      expect(page.groups.room_id[first].results).to.deep.equal([inFirst[1]]);
      expect(page.groups.sender[bob.userId].results).to.deep.equal([inSecond[1], inSecond[0]]);
      expect(page.groups.sender[alice.userId].results).to.deep.equal([inFirst[1]]);
      // "using a token inside a group will return more results from within that group".
      const withinFirst = await allPages(alice, criteria, page.groups.room_id[first].next_batch);
      expect(withinFirst.found).to.deep.equal([inFirst[0]]);
      const withinBob = await allPages(alice, criteria, page.groups.sender[bob.userId].next_batch);
      expect(withinBob.found).to.deep.equal([]);
      // The last page has no next_batch anywhere.
      const last = await roomEvents(alice, criteria, page.next_batch);
      expect(ids(last.results)).to.deep.equal([inFirst[0]]);
      expect(last.next_batch).to.equal(undefined);
      expect(last.groups.room_id[first]).to.not.have.property('next_batch');
    });

    it('"event_context": the events around each result and the senders\' profiles as they were', async function () {
      const roomId = await createRoom(alice);
      await join(bob, roomId);
      expect((await api(bob, 'PUT', `/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bob Builder' })).status).to.equal(200);
      const a = await send(alice, roomId, 'context a');
      const b = await send(bob, roomId, 'context b');
      const hit = await send(alice, roomId, 'the needle in context');
      const d = await send(bob, roomId, 'context d');
      await send(alice, roomId, 'context e');
      expect((await api(bob, 'PUT', `/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bob Renamed' })).status).to.equal(200);
      const [result] = (await roomEvents(alice, { search_term: 'needle', event_context: { before_limit: 2, after_limit: 1, include_profile: true } })).results;
      expect(result!.result.event_id).to.equal(hit);
      const context = result!.context!;
      expect(context.events_before.map((e) => e.event_id)).to.deep.equal([b, a]);
      expect(context.events_after.map((e) => e.event_id)).to.deep.equal([d]);
      expect(context.start).to.be.a('string');
      expect(context.end).to.be.a('string');
      // "historic profile information": bob's name then, not his name now; alice has none.
      expect(context.profile_info).to.deep.equal({ [bob.userId]: { displayname: 'Bob Builder' }, [alice.userId]: {} });
      // The tokens continue with /messages.
      const older = await api(alice, 'GET', `${room(roomId)}/messages?dir=b&limit=1&from=${encodeURIComponent(context.start)}`);
      expect(older.json.chunk.map((e: { content: { membership?: string } }) => e.content.membership)).to.deep.equal(['join']);
      const newer = await api(alice, 'GET', `${room(roomId)}/messages?dir=f&limit=1&from=${encodeURIComponent(context.end)}`);
      expect(newer.json.chunk.map((e: { content: { body?: string } }) => e.content.body)).to.deep.equal(['context e']);
      // Without include_profile, no profile_info; without event_context, no context.
      const [plain] = (await roomEvents(alice, { search_term: 'needle', event_context: { before_limit: 0, after_limit: 0 } })).results;
      expect(plain!.context).to.deep.include({ events_before: [], events_after: [] });
      expect(plain!.context).to.not.have.property('profile_info');
      expect((await roomEvents(alice, { search_term: 'needle' })).results[0]).to.not.have.property('context');
    });

    it('"include_state": the state of each room in the results', async function () {
      const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Stateful' });
      await send(alice, roomId, 'stateword');
      const found = await roomEvents(alice, { search_term: 'stateword', include_state: true });
      const types = (found.state[roomId] as Array<{ type: string }>).map((e) => e.type);
      expect(types).to.include.members(['m.room.create', 'm.room.name', 'm.room.member']);
      expect(Object.keys(found.state)).to.deep.equal([roomId]);
    });

    it('"filter": rooms, not_rooms, senders, not_senders and types narrow the search', async function () {
      const first = await createRoom(alice);
      const second = await createRoom(alice);
      await join(bob, first);
      const fromAlice = await send(alice, first, 'filtered word');
      const fromBob = await send(bob, first, 'filtered word');
      const elsewhere = await send(alice, second, 'filtered word');
      const found = async (filter: object) => new Set(ids((await roomEvents(alice, { search_term: 'filtered', filter })).results));
      expect(await found({ rooms: [second] })).to.deep.equal(new Set([elsewhere]));
      expect(await found({ not_rooms: [second] })).to.deep.equal(new Set([fromAlice, fromBob]));
      expect(await found({ senders: [bob.userId] })).to.deep.equal(new Set([fromBob]));
      expect(await found({ not_senders: [bob.userId] })).to.deep.equal(new Set([fromAlice, elsewhere]));
      expect(await found({ types: ['m.room.name'] })).to.deep.equal(new Set());
      expect(await found({ types: ['m.room.*'] })).to.deep.equal(new Set([fromAlice, fromBob, elsewhere]));
      expect((await roomEvents(alice, { search_term: 'filtered', filter: { senders: [bob.userId] } })).count).to.equal(1);
      const bad = await search(alice, { search_term: 'filtered', filter: { rooms: 'not a list' } });
      expect(bad.status).to.equal(400);
      expect(bad.json.errcode).to.equal('M_BAD_JSON');
    });

    it('"keys": content.name of m.room.name and content.topic (with m.topic text/plain) of m.room.topic', async function () {
      const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Observatory', topic: 'Stargazing club' });
      const topicWithBlock = await api(alice, 'PUT', `${room(roomId)}/state/m.room.topic/`, {
        topic: 'Telescopes',
        'm.topic': { 'm.text': [{ body: 'Telescopes' }, { mimetype: 'text/plain', body: 'Nebulae' }, { mimetype: 'text/html', body: '<em>Quasars</em>' }] },
      });
      expect(topicWithBlock.status).to.equal(200);
      const byName = await roomEvents(alice, { search_term: 'observatory', keys: ['content.name'] });
      expect(byName.results.map((r) => r.result.type)).to.deep.equal(['m.room.name']);
      expect(byName.results[0]!.result.content.name).to.equal('Observatory');
      expect((await roomEvents(alice, { search_term: 'stargazing', keys: ['content.topic'] })).results.map((r) => r.result.type)).to.deep.equal(['m.room.topic']);
      expect(ids((await roomEvents(alice, { search_term: 'nebulae' })).results)).to.deep.equal([topicWithBlock.json.event_id]);
      expect((await roomEvents(alice, { search_term: 'quasars' })).results, 'not the HTML representation').to.deep.equal([]);
      expect((await roomEvents(alice, { search_term: 'observatory', keys: ['content.body'] })).results).to.deep.equal([]);
      expect((await roomEvents(alice, { search_term: 'observatory' })).results, '"Defaults to all"').to.have.length(1);
      expect((await search(alice, { search_term: 'observatory', keys: ['content.url'] })).status).to.equal(400);
    });

    it('"Redactions": a redacted message is no longer found', async function () {
      const roomId = await createRoom(alice);
      const eventId = await send(alice, roomId, 'regrettable remark');
      expect(ids((await roomEvents(alice, { search_term: 'regrettable' })).results)).to.deep.equal([eventId]);
      const redaction = await api(alice, 'PUT', `${room(roomId)}/redact/${encodeURIComponent(eventId)}/r${++txn}`, { reason: 'oops' });
      expect(redaction.status, redaction.text).to.equal(200);
      const after = await roomEvents(alice, { search_term: 'regrettable' });
      expect(after.results).to.deep.equal([]);
      expect(after.count, 'gone from the index, not only hidden').to.equal(0);
    });

    it('hostile search terms are words, never query syntax: results or an empty list, never a 500', async function () {
      const roomId = await createRoom(alice);
      const eventId = await send(alice, roomId, 'foo OR bar "quoted" a* col:umn NEAR(x y) \\ \' end');
      const withNul = await send(alice, roomId, 'nul\u0000byte');
      const terms = ['nul\u0000', '"foo OR', 'a*', '*', '"', "'", '\\', ':*', '!', '&|', '-foo', 'col:umn', 'NEAR(x', '^foo', 'foo AND', 'foo NOT bar', '""', '()', "o'reilly\\", '🙂', '', '   ', 'x'.repeat(1000)];
      for (const term of terms) {
        const response = await search(alice, { search_term: term });
        expect(response.status, `${JSON.stringify(term)}: ${response.text}`).to.equal(200);
        expect(response.json.search_categories.room_events.results).to.be.an('array');
      }
      expect(ids((await roomEvents(alice, { search_term: '"foo OR' })).results)).to.deep.equal([eventId]);
      expect(ids((await roomEvents(alice, { search_term: 'col:umn' })).results)).to.deep.equal([eventId]);
      expect(ids((await roomEvents(alice, { search_term: 'byte' })).results), 'a NUL in a message does not stop it being indexed').to.deep.equal([withNul]);
      for (const filter of [{ senders: ['@a\u0000:x'] }, { not_senders: ['\u0000'] }, { rooms: ['!\u0000'] }]) {
        const response = await search(alice, { search_term: 'foo', filter });
        expect(response.status, `${JSON.stringify(filter)}: ${response.text}`).to.equal(200);
      }
      const tooLong = await search(alice, { search_term: 'x'.repeat(1001) });
      expect(tooLong.status).to.equal(400);
      expect(tooLong.json.errcode).to.equal('M_BAD_JSON');
    });

    it('request errors: an unknown category or order, a missing search_term or search_categories are 400; no access token is 401', async function () {
      const unknownCategory = await api(alice, 'POST', '/search', { search_categories: { room_events: { search_term: 'x' }, people: { search_term: 'x' } } });
      expect(unknownCategory.status).to.equal(400);
      expect(unknownCategory.json.errcode).to.equal('M_BAD_JSON');
      for (const body of [{}, { search_categories: { room_events: {} } }, { search_categories: { room_events: { search_term: 'x', order_by: 'random' } } }]) {
        const response = await api(alice, 'POST', '/search', body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.json.errcode).to.equal('M_BAD_JSON');
      }
      expect((await api(alice, 'POST', '/search', { search_categories: {} })).json).to.deep.equal({ search_categories: {} });
      const anonymous = await rawRequest(server().baseUrl, '/_matrix/client/v3/search', { body: { search_categories: { room_events: { search_term: 'x' } } } });
      expect(anonymous.status).to.equal(401);
      expect(anonymous.json.errcode).to.equal('M_MISSING_TOKEN');
    });
  });
}
