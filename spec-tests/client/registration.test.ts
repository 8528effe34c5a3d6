import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { testEngines } from '../../src/testing/test-databases.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Account registration" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'reg.test', engine, config: { enable_registration: true } });
    const url = () => server().baseUrl;

    it('answers a request without auth with 401, the m.login.dummy flow and a session, and no errcode', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'first', password: 'pw-first-1' } });
      expect(response.status).to.equal(401);
      expect(response.json.flows).to.deep.equal([{ stages: ['m.login.dummy'] }]);
      expect(response.json.session).to.be.a('string');
      expect(response.json).not.to.have.property('errcode');
    });

    it('registers through matrix-js-sdk after the dummy stage, and the token works', async function () {
      const client = await createTestClient(server());
      const first = await client.registerRequest({ username: 'alice', password: 'correct horse' }).catch((error: { httpStatus: number; data: { session: string } }) => error);
      expect((first as { httpStatus: number }).httpStatus).to.equal(401);
      const result = await client.registerRequest({ username: 'alice', password: 'correct horse', auth: { type: 'm.login.dummy', session: (first as { data: { session: string } }).data.session } });
      expect(result.user_id).to.equal('@alice:reg.test');
      expect(result.access_token).to.match(/^lat_/);
      expect(result.device_id).to.be.a('string');
      const authed = await createTestClient(server(), { userId: result.user_id, accessToken: result.access_token });
      expect(await authed.whoami()).to.deep.include({ user_id: '@alice:reg.test', device_id: result.device_id });
    });

    it('completes in one request when the first request carries m.login.dummy, and lower-cases the username', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'Bob', password: 'pw-bob-123', device_id: 'BOBPHONE', initial_device_display_name: 'Phone', auth: { type: 'm.login.dummy' } } });
      expect(response.status).to.equal(200);
      expect(response.json).to.include({ user_id: '@bob:reg.test', device_id: 'BOBPHONE' });
    });

    it('refuses a taken username with M_USER_IN_USE and a malformed one with M_INVALID_USERNAME, before UIA', async function () {
      const taken = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'alice', password: 'x' } });
      expect(taken.status).to.equal(400);
      expect(taken.json.errcode).to.equal('M_USER_IN_USE');
      const malformed = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'al ice!', password: 'x' } });
      expect(malformed.status).to.equal(400);
      expect(malformed.json.errcode).to.equal('M_INVALID_USERNAME');
    });

    it('GET /register/available tells free from taken names', async function () {
      expect((await rawRequest(url(), '/_matrix/client/v3/register/available?username=carol')).json).to.deep.equal({ available: true });
      const taken = await rawRequest(url(), '/_matrix/client/v3/register/available?username=alice');
      expect(taken.status).to.equal(400);
      expect(taken.json.errcode).to.equal('M_USER_IN_USE');
    });

    it('refuses to carry a UIA session over to a different request', async function () {
      const first = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'dave', password: 'pw-dave-1' } });
      const swapped = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'mallory', password: 'pw-dave-1', auth: { type: 'm.login.dummy', session: first.json.session } } });
      expect(swapped.status).to.equal(403);
      expect(swapped.json.errcode).to.equal('M_FORBIDDEN');
    });

    it('with inhibit_login, creates the account without a session', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'erin', password: 'pw-erin-1', inhibit_login: true, auth: { type: 'm.login.dummy' } } });
      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal({ user_id: '@erin:reg.test', home_server: 'reg.test' });
    });

    it('refuses guest registration with M_GUEST_ACCESS_FORBIDDEN', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register?kind=guest', { body: {} });
      expect(response.status).to.equal(403);
      expect(response.json.errcode).to.equal('M_GUEST_ACCESS_FORBIDDEN');
    });

    it('rejects a body of the wrong shape with M_BAD_JSON', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 5 } });
      expect(response.status).to.equal(400);
      expect(response.json.errcode).to.equal('M_BAD_JSON');
    });
  });
}

describe('client-server-api "Account registration" when closed (the default)', function () {
  const server = useTestHomeserver({ serverName: 'closed.test' });

  it('answers 403 M_FORBIDDEN', async function () {
    const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/register', { body: { username: 'x', password: 'y', auth: { type: 'm.login.dummy' } } });
    expect(response.status).to.equal(403);
    expect(response.json.errcode).to.equal('M_FORBIDDEN');
  });

  it('shared-secret registration is off without registration_shared_secret', async function () {
    const response = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register');
    expect(response.status).to.equal(400);
    expect(response.json.error).to.include('not enabled');
  });
});

describe('Synapse admin API: shared-secret registration (/_synapse/admin/v1/register)', function () {
  const secret = 'a shared secret for tests';
  const server = useTestHomeserver({ serverName: 'admin.test', config: { registration_shared_secret: secret } });
  const mac = (nonce: string, user: string, password: string, admin: boolean) =>
    createHmac('sha1', secret).update([nonce, user, password, admin ? 'admin' : 'notadmin'].join('\0')).digest('hex');

  it('registers an admin with a nonce and the HMAC register_new_matrix_user computes', async function () {
    const { json } = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register');
    const response = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register', { body: { nonce: json.nonce, username: 'root', password: 'pw-root-1', admin: true, mac: mac(json.nonce, 'root', 'pw-root-1', true) } });
    expect(response.status).to.equal(200);
    expect(response.json.user_id).to.equal('@root:admin.test');
    const whoami = await rawRequest(server().baseUrl, '/_matrix/client/v3/account/whoami', { accessToken: response.json.access_token });
    expect(whoami.json.user_id).to.equal('@root:admin.test');
  });

  it('refuses a wrong HMAC and a reused nonce', async function () {
    const { json } = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register');
    const wrong = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register', { body: { nonce: json.nonce, username: 'eve', password: 'pw', admin: true, mac: mac(json.nonce, 'eve', 'pw', false) } });
    expect(wrong.status).to.equal(403);
    const reused = await rawRequest(server().baseUrl, '/_synapse/admin/v1/register', { body: { nonce: json.nonce, username: 'eve', password: 'pw', admin: false, mac: mac(json.nonce, 'eve', 'pw', false) } });
    expect(reused.status).to.equal(400);
    expect(reused.json.error).to.include('nonce');
  });
});
