/**
 * client-server-api "Server Side Search" over events received from another server: a message that
 * arrives over federation is searchable on the receiving server, and its redaction, arriving the
 * same way, takes it out of the results; a message of the room's past fetched by backfill is found too.
 */
import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import type { TestUser } from '../harness/accounts.ts';
import { eventually, startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, clientCall as call } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Server Side Search" of events received over federation on ${engine}`, function () {
    let federation: FederatedServers;
    let a: TestHomeserver;
    let b: TestHomeserver;
    let alice: TestUser;
    let bob: TestUser;
    const found = async (term: string): Promise<string[]> => {
      const response = await call(b, bob, 'POST', '/search', { search_categories: { room_events: { search_term: term } } });
      expect(response.status, response.text).to.equal(200);
      return response.json.search_categories.room_events.results.map((r: { result: { event_id: string } }) => r.result.event_id);
    };

    before(async function () {
      ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine }));
    });
    after(() => federation.stop());

    it('a received message is found by the receiving server\'s users, and no longer once its redaction arrives', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as string;
      const joined = await call(b, bob, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {});
      expect(joined.status, joined.text).to.equal(200);
      const sent = await call(a, alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/s1`, { msgtype: 'm.text', body: 'interplanetary greetings' });
      expect(sent.status, sent.text).to.equal(200);
      const eventId = sent.json.event_id as string;
      await eventually(async () => (await found('interplanetary')).includes(eventId), 10_000, 'the message becoming searchable on b.test');
      const redacted = await call(a, alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/r1`, {});
      expect(redacted.status, redacted.text).to.equal(200);
      await eventually(async () => (await found('interplanetary')).length === 0, 10_000, 'the redaction taking the message out of b.test\'s results');
    });

    it('a message of the room\'s past that b.test fetched by backfill is found too', async function () {
      const roomId = (await call(a, alice, 'POST', '/createRoom', { preset: 'public_chat', history_visibility: 'shared' })).json.room_id as string;
      const sent = await call(a, alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'prehistoric chronicles' });
      expect(sent.status, sent.text).to.equal(200);
      expect((await call(b, bob, 'POST', `/join/${encodeURIComponent(roomId)}?via=a.test`, {})).status).to.equal(200);
      // /messages reaches the start of b.test's history of the room and backfills from a.test.
      const messages = await rawRequest(b.baseUrl, `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, { accessToken: bob.accessToken });
      expect(messages.json.chunk.map((e: { event_id: string }) => e.event_id)).to.include(sent.json.event_id);
      expect(await found('prehistoric')).to.deep.equal([sent.json.event_id]);
    });
  });
}
