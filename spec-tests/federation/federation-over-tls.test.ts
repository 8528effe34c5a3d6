/**
 * Two Lattice servers over HTTPS with their real federation clients: server names resolved through
 * SRV `_matrix-fed._tcp` records to loopback ports (server-server-api "Resolving server names"),
 * certificates verified against a CA given in federation_custom_ca_list, loopback allowed by
 * ip_range_whitelist, requests signed with X-Matrix, keys fetched from each other.
 */
import { expect } from 'chai';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { buildEvent } from '../../src/core/events/build-event.ts';
import type { EventId, RoomId, UserId } from '../../src/core/ids/identifiers.ts';
import { getRoomVersion } from '../../src/core/room-versions/known-versions.ts';
import { testDns } from '../../src/testing/test-dns.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { startTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';
import { xMatrixAuthorization } from '../harness/server-requests.ts';
import { testCertificateAuthority } from '../harness/test-certificates.ts';

describe('federation over TLS between two Lattice servers (discovery, certificates, signing, keys)', function () {
  const records = { hosts: { 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'] }, srv: {} as Record<string, Array<{ name: string; port: number; priority: number; weight: number }>> };
  const dns = testDns(records);
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  const api = clientApi(() => a);

  before(async function () {
    const caPath = join(mkdtempSync(join(tmpdir(), 'lattice-ca-')), 'ca.pem');
    writeFileSync(caPath, (await testCertificateAuthority()).cert);
    const config = { enable_registration: true, trusted_key_servers: [], ip_range_whitelist: ['127.0.0.1/32'], federation_custom_ca_list: [caPath] };
    a = await startTestHomeserver({ serverName: 'a.test', tls: true, federationDns: dns, config });
    b = await startTestHomeserver({ serverName: 'b.test', tls: true, federationDns: dns, config });
    for (const server of [a, b]) records.srv[`_matrix-fed._tcp.${server.serverName}`] = [{ name: server.serverName, port: Number(new URL(server.baseUrl).port), priority: 0, weight: 0 }];
    alice = await registerUser(a, 'alice');
  });
  after(async function () {
    await a.stop();
    await b.stop();
  });

  it('a.test fetches b.test\'s key to check its signed transaction, and sends its own events back to b.test', async function () {
    const roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat' })).json.room_id as RoomId;
    const state = (await api(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/state`)).json as Array<{ type: string; state_key: string; event_id: string }>;
    const authEvents = state.filter((e) => e.type === 'm.room.power_levels' || e.type === 'm.room.join_rules').map((e) => e.event_id as EventId);
    const extremities = (await a.homeserver.storage.roomEvents.forwardExtremities(roomId)) as EventId[];
    const depth = Math.max(...[...(await a.homeserver.storage.roomEvents.events(extremities)).values()].map((e) => e.depth)) + 1;
    const join = buildEvent(
      { rules: getRoomVersion('12'), roomId, type: 'm.room.member', stateKey: '@bob:b.test', sender: '@bob:b.test' as UserId, content: { membership: 'join' }, prevEvents: extremities, authEvents, depth, originServerTs: Date.now() },
      { serverName: 'b.test', key: b.homeserver.serverKeys.signingKey },
    ).pdu;
    const body: JsonObject = { origin: 'b.test', origin_server_ts: Date.now(), pdus: [join] };
    const path = '/_matrix/federation/v1/send/tls-1';
    const authorization = xMatrixAuthorization({ method: 'PUT', uri: path, origin: 'b.test', destination: 'a.test', content: body }, b.homeserver.serverKeys.signingKey);
    const answer = await rawRequest(a.baseUrl, path, { method: 'PUT', body, headers: { authorization } });
    expect(answer.status, answer.text).to.equal(200);
    expect(Object.values(answer.json.pdus)).to.deep.equal([{}]);
    expect(dns.srvQueries).to.include('_matrix-fed._tcp.b.test');

    // alice's message goes to b.test (bob is a member): a.test's outbox empties once b.test accepted
    // the transaction, which it authenticated by fetching a.test's key.
    const sent = await api(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/tls-out`, { msgtype: 'm.text', body: 'over TLS' });
    expect(sent.status).to.equal(200);
    const deadline = Date.now() + 10_000;
    while ((await a.homeserver.storage.federationOutbox.destinations()).length > 0) {
      if (Date.now() > deadline) throw new Error('the transaction to b.test was not delivered');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(dns.srvQueries).to.include('_matrix-fed._tcp.a.test');
    expect((await b.homeserver.storage.remoteServerKeys.listForServer('a.test')).length).to.be.above(0);
  });
});
