import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('client-server-api "Capabilities negotiation" and "Voice over IP" (TURN)', function () {
  const server = useTestHomeserver({
    serverName: 'caps.test',
    config: { enable_registration: true, default_room_version: '11', turn_uris: ['turn:turn.caps.test:3478?transport=udp'], turn_shared_secret: 'coturn-secret', turn_user_lifetime: '2h' },
  });
  const plain = useTestHomeserver({ serverName: 'plain.test', config: { enable_registration: true } });
  let alice: TestUser;
  before(async function () {
    alice = await registerUser(server(), 'alice');
  });

  it('lists every room version 1–12 as stable with the configured default', async function () {
    const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
    const capabilities = await client.getCapabilities();
    expect(capabilities['m.room_versions']).to.deep.equal({
      default: '11',
      available: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(i + 1), 'stable'])),
    });
    expect(capabilities['m.change_password']).to.deep.equal({ enabled: true });
  });

  it('requires an access token', async function () {
    expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/capabilities')).status).to.equal(401);
  });

  it('hands out TURN credentials coturn accepts: expiry:user and HMAC-SHA1 of it', async function () {
    const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/voip/turnServer', { accessToken: alice.accessToken });
    expect(response.status).to.equal(200);
    expect(response.json.uris).to.deep.equal(['turn:turn.caps.test:3478?transport=udp']);
    expect(response.json.ttl).to.equal(7200);
    const [expiry, user] = String(response.json.username).split(/:(.*)/s);
    expect(user).to.equal(alice.userId);
    expect(Number(expiry)).to.be.within(Date.now() / 1000 + 7100, Date.now() / 1000 + 7300);
    expect(response.json.password).to.equal(createHmac('sha1', 'coturn-secret').update(response.json.username).digest('base64'));
  });

  it('answers an empty object when no TURN server is configured', async function () {
    const bob = await registerUser(plain(), 'bob');
    expect((await rawRequest(plain().baseUrl, '/_matrix/client/v3/voip/turnServer', { accessToken: bob.accessToken })).json).to.deep.equal({});
  });
});
