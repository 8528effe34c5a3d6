import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawResponse } from '../harness/requests.ts';

/**
 * Long polls that skip reading when the notifier says nothing happened for the user since their
 * token: they must still answer at once when something did, including before a restart, when the
 * notifier of the new process never heard of it.
 */
for (const engine of testEngines) {
  describe(`client-server-api "Syncing": long polls on ${engine}`, function () {
    let server: TestHomeserver;
    let alice: TestUser;
    let roomId: string;
    const api = (method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<RawResponse> =>
      rawRequest(server.baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: alice.accessToken });
    const send = (txnId: string, body: string) => api('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
    const messagesIn = (response: RawResponse): string[] =>
      (response.json.rooms?.join?.[roomId]?.timeline?.events ?? []).filter((event: { type: string }) => event.type === 'm.room.message').map((event: { content: { body: string } }) => event.content.body);

    before(async function () {
      server = await startTestHomeserver({ serverName: 'longpoll.test', engine, config: { enable_registration: true } });
      alice = await registerUser(server, 'alice');
      roomId = (await api('POST', '/createRoom', {})).json.room_id;
    });
    after(async function () {
      await server.stop();
    });

    it('a long poll with nothing new waits, and a message sent meanwhile ends it with that message', async function () {
      const since: string = (await api('GET', '/sync')).json.next_batch;
      const started = Date.now();
      const polling = api('GET', `/sync?since=${encodeURIComponent(since)}&timeout=10000`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await send('wake', 'wake up');
      const response = await polling;
      expect(messagesIn(response)).to.deep.equal(['wake up']);
      expect(Date.now() - started).to.be.below(5000);
    });

    it('a long poll with a token from before a restart answers at once with what happened after the token', async function () {
      const since: string = (await api('GET', '/sync')).json.next_batch;
      await send('before-restart', 'sent before the restart');
      await server.stop({ keepData: true });
      server = await startTestHomeserver({ reuse: server, config: { enable_registration: true } });
      const started = Date.now();
      const response = await api('GET', `/sync?since=${encodeURIComponent(since)}&timeout=10000`);
      expect(messagesIn(response)).to.deep.equal(['sent before the restart']);
      expect(Date.now() - started).to.be.below(5000);
    });
  });
}
