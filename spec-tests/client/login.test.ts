import { expect } from 'chai';
import Database from 'better-sqlite3';
import { testEngines } from '../../src/testing/test-databases.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Login", "Logout" and access tokens on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'login.test', engine, config: { enable_registration: true } });
    const url = () => server().baseUrl;
    const password = 'a good password';
    const login = (body: object) => rawRequest(url(), '/_matrix/client/v3/login', { body: { type: 'm.login.password', password, ...body } });

    before(async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'alice', password, inhibit_login: true, auth: { type: 'm.login.dummy' } } });
      expect(response.status).to.equal(200);
    });

    it('offers m.login.password', async function () {
      expect((await rawRequest(url(), '/_matrix/client/v3/login')).json).to.deep.equal({ flows: [{ type: 'm.login.password' }] });
    });

    it('logs in through matrix-js-sdk with an m.id.user identifier', async function () {
      const client = await createTestClient(server());
      const result = await client.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password });
      expect(result.user_id).to.equal('@alice:login.test');
      expect(result.access_token).to.be.a('string');
    });

    it('accepts a full user ID, the legacy user field and a chosen device ID', async function () {
      const full = await login({ identifier: { type: 'm.id.user', user: '@alice:login.test' }, device_id: 'LAPTOP' });
      expect(full.status).to.equal(200);
      expect(full.json.device_id).to.equal('LAPTOP');
      const legacy = await login({ user: 'alice' });
      expect(legacy.status).to.equal(200);
    });

    it('answers a wrong password and an unknown user alike with 403 M_FORBIDDEN', async function () {
      const wrong = await login({ identifier: { type: 'm.id.user', user: 'alice' }, password: 'wrong' });
      const unknown = await login({ identifier: { type: 'm.id.user', user: 'nobody' } });
      for (const response of [wrong, unknown]) {
        expect(response.status).to.equal(403);
        expect(response.json).to.deep.equal({ errcode: 'M_FORBIDDEN', error: 'Invalid username or password' });
      }
    });

    it('refuses unknown login types', async function () {
      const response = await rawRequest(url(), '/_matrix/client/v3/login', { body: { type: 'm.login.magic' } });
      expect(response.status).to.equal(400);
    });

    it('requires an access token: missing gives M_MISSING_TOKEN, unknown gives M_UNKNOWN_TOKEN with soft_logout false', async function () {
      const missing = await rawRequest(url(), '/_matrix/client/v3/account/whoami');
      expect(missing.status).to.equal(401);
      expect(missing.json.errcode).to.equal('M_MISSING_TOKEN');
      const unknown = await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: 'lat_nope' });
      expect(unknown.status).to.equal(401);
      expect(unknown.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    });

    it('accepts the token as a query parameter too', async function () {
      const { json } = await login({ user: 'alice' });
      const response = await rawRequest(url(), `/_matrix/client/v3/account/whoami?access_token=${json.access_token}`);
      expect(response.json).to.deep.equal({ user_id: '@alice:login.test', device_id: json.device_id, is_guest: false });
    });

    it('logout ends that device only; logout/all ends every device', async function () {
      const one = (await login({ user: 'alice' })).json.access_token;
      const two = (await login({ user: 'alice' })).json.access_token;
      const three = (await login({ user: 'alice' })).json.access_token;
      expect((await rawRequest(url(), '/_matrix/client/v3/logout', { method: 'POST', body: {}, accessToken: one })).status).to.equal(200);
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: one })).status).to.equal(401);
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: two })).status).to.equal(200);
      expect((await rawRequest(url(), '/_matrix/client/v3/logout/all', { method: 'POST', body: {}, accessToken: two })).status).to.equal(200);
      for (const token of [two, three]) expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: token })).status).to.equal(401);
    });

    if (engine === 'sqlite') {
      it('stores neither passwords nor access tokens in clear', async function () {
        const { json } = await login({ user: 'alice' });
        const database = server().config.database;
        if (database.engine !== 'sqlite') throw new Error('sqlite expected');
        const dump = JSON.stringify(new Database(database.path, { readonly: true }).prepare('select * from users, access_tokens').all());
        expect(dump).not.to.include(json.access_token);
        expect(dump).not.to.include(password);
        expect(dump).to.include('$argon2id$');
      });
    }
  });
}
