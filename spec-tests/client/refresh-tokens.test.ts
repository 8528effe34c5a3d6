import { expect } from 'chai';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEngines } from '../../src/testing/test-databases.ts';
import { useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

const password = 'a refreshing password';

/** Client-server API calls of these tests, against one server. */
function api(server: () => TestHomeserver) {
  const url = () => server().baseUrl;
  return {
    login: (body: object = {}) => rawRequest(url(), '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password, ...body } }),
    refresh: (refreshToken: unknown) => rawRequest(url(), '/_matrix/client/v3/refresh', { body: { refresh_token: refreshToken } }),
    whoami: (accessToken: string) => rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken }),
    register: (body: object) => rawRequest(url(), '/_matrix/client/v3/register', { body: { password, auth: { type: 'm.login.dummy' }, ...body } }),
  };
}

for (const engine of testEngines) {
  describe(`client-server-api "Refreshing access tokens" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'refresh.test', engine, config: { enable_registration: true } });
    const { login, refresh, whoami, register } = api(server);

    before(async function () {
      expect((await register({ username: 'alice', inhibit_login: true })).status).to.equal(200);
    });

    it('/login with refresh_token: true returns a refresh token and expires_in_ms (refreshable_access_token_lifetime, 5 minutes by default)', async function () {
      const response = await login({ refresh_token: true });
      expect(response.status).to.equal(200);
      expect(response.json.refresh_token).to.be.a('string').that.does.not.equal(response.json.access_token);
      expect(response.json.expires_in_ms).to.equal(300_000);
      expect((await whoami(response.json.access_token)).json).to.include({ user_id: '@alice:refresh.test', device_id: response.json.device_id });
    });

    it('/login without refresh_token (or with false) returns neither, and the access token does not expire by default', async function () {
      for (const body of [{}, { refresh_token: false }]) {
        const response = await login(body);
        expect(response.status).to.equal(200);
        expect(response.json).not.to.have.property('refresh_token');
        expect(response.json).not.to.have.property('expires_in_ms');
      }
    });

    it('/register with refresh_token: true returns a refresh token and expires_in_ms; with inhibit_login, no tokens at all', async function () {
      const registered = await register({ username: 'bob', refresh_token: true });
      expect(registered.status).to.equal(200);
      expect(registered.json.refresh_token).to.be.a('string');
      expect(registered.json.expires_in_ms).to.equal(300_000);
      expect((await refresh(registered.json.refresh_token)).status).to.equal(200);
      const inhibited = await register({ username: 'carol', refresh_token: true, inhibit_login: true });
      expect(inhibited.json).to.deep.equal({ user_id: '@carol:refresh.test', home_server: 'refresh.test' });
    });

    it('POST /refresh (without an access token) gives a new access token and refresh token for the same device', async function () {
      const { json: session } = await login({ refresh_token: true });
      const response = await refresh(session.refresh_token);
      expect(response.status).to.equal(200);
      expect(response.json).to.have.keys('access_token', 'refresh_token', 'expires_in_ms');
      expect(response.json.expires_in_ms).to.equal(300_000);
      expect(response.json.access_token).not.to.equal(session.access_token);
      expect(response.json.refresh_token).not.to.equal(session.refresh_token);
      expect((await whoami(response.json.access_token)).json).to.include({ user_id: '@alice:refresh.test', device_id: session.device_id });
    });

    it('keeps the old refresh token (and access token) valid until the new access token is used, then revokes both', async function () {
      const { json: session } = await login({ refresh_token: true });
      const first = (await refresh(session.refresh_token)).json;
      // The client lost the answer: it may repeat the refresh, which replaces the pair it never got.
      const repeated = await refresh(session.refresh_token);
      expect(repeated.status).to.equal(200);
      const lost = await whoami(first.access_token);
      expect(lost.status).to.equal(401);
      expect(lost.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
      expect((await refresh(first.refresh_token)).status).to.equal(401);
      expect((await whoami(session.access_token)).status).to.equal(200);

      expect((await whoami(repeated.json.access_token)).status).to.equal(200);
      const old = await refresh(session.refresh_token);
      expect(old.status).to.equal(401);
      expect(old.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
      expect((await whoami(session.access_token)).status).to.equal(401);
      expect((await whoami(repeated.json.access_token)).status).to.equal(200);
    });

    it('using the new refresh token also revokes the old one', async function () {
      const { json: session } = await login({ refresh_token: true });
      const second = (await refresh(session.refresh_token)).json;
      const third = await refresh(second.refresh_token);
      expect(third.status).to.equal(200);
      expect((await refresh(session.refresh_token)).status).to.equal(401);
      expect((await whoami(session.access_token)).status).to.equal(401);
      // The pair from the second refresh stays valid until the third's is used.
      expect((await whoami(second.access_token)).status).to.equal(200);
      expect((await whoami(third.json.access_token)).status).to.equal(200);
      expect((await refresh(second.refresh_token)).status).to.equal(401);
      expect((await whoami(second.access_token)).status).to.equal(401);
    });

    it('concurrent refreshes of one token leave exactly one of the pairs handed out valid; the others fail with soft_logout: true', async function () {
      const { json: session } = await login({ refresh_token: true });
      const responses = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refresh_token)));
      const issued = responses.filter((r) => r.status === 200).map((r) => r.json.access_token as string);
      expect(issued).not.to.be.empty;
      for (const failed of responses.filter((r) => r.status !== 200)) expect(failed.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
      const working = [];
      for (const token of issued) if ((await whoami(token)).status === 200) working.push(token);
      expect(working).to.have.length(1);
    });

    it('answers an unknown refresh token, or an access token sent as one, with 401 M_UNKNOWN_TOKEN; a refresh token is no access token', async function () {
      const { json: session } = await login({ refresh_token: true });
      for (const token of ['latr_unknown', session.access_token]) {
        const response = await refresh(token);
        expect(response.status).to.equal(401);
        expect(response.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
      }
      expect((await whoami(session.refresh_token)).status).to.equal(401);
    });

    it('rejects a body without a string refresh_token with 400 M_BAD_JSON', async function () {
      for (const body of [{}, { refresh_token: 42 }]) {
        const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/refresh', { body });
        expect(response.status).to.equal(400);
        expect(response.json.errcode).to.equal('M_BAD_JSON');
      }
    });

    it('logout and logout/all invalidate the device\'s refresh tokens too', async function () {
      const one = (await login({ refresh_token: true })).json;
      expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/logout', { body: {}, accessToken: one.access_token })).status).to.equal(200);
      expect((await refresh(one.refresh_token)).json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
      const two = (await login({ refresh_token: true })).json;
      const three = (await login({ refresh_token: true })).json;
      const renewed = (await refresh(three.refresh_token)).json;
      expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/logout/all', { body: {}, accessToken: two.access_token })).status).to.equal(200);
      for (const token of [two.refresh_token, three.refresh_token, renewed.refresh_token]) expect((await refresh(token)).status).to.equal(401);
      expect((await whoami(renewed.access_token)).status).to.equal(401);
    });

    if (engine === 'sqlite') {
      it('stores refresh tokens only as hashes', async function () {
        const { json } = await login({ refresh_token: true });
        const renewed = (await refresh(json.refresh_token)).json;
        const database = server().config.database;
        if (database.engine !== 'sqlite') throw new Error('sqlite expected');
        const db = new Database(database.path, { readonly: true });
        const dump = JSON.stringify([db.prepare('select * from refresh_tokens').all(), db.prepare('select * from access_tokens').all()]);
        db.close();
        for (const token of [json.refresh_token, renewed.refresh_token, renewed.access_token]) expect(dump).not.to.include(token);
      });
    }
  });

  describe(`client-server-api "Soft logout": expiring tokens on ${engine}`, function () {
    this.timeout(20_000);
    // Lifetimes short enough to wait out; nonrefreshable_access_token_lifetime applies without refresh tokens.
    const lifetime = 1500;
    const server = useTestHomeserver({
      serverName: 'expiry.test',
      engine,
      config: { enable_registration: true, refreshable_access_token_lifetime: lifetime, refresh_token_lifetime: 2 * lifetime, nonrefreshable_access_token_lifetime: lifetime },
    });
    const { login, refresh, whoami, register } = api(server);

    before(async function () {
      expect((await register({ username: 'alice', inhibit_login: true })).status).to.equal(200);
    });

    it('an expired access token answers 401 M_UNKNOWN_TOKEN with soft_logout: true, and a refresh gives a working one', async function () {
      const { json: session } = await login({ refresh_token: true });
      expect(session.expires_in_ms).to.equal(lifetime);
      expect((await whoami(session.access_token)).status).to.equal(200);
      await sleep(lifetime + 100);
      const expired = await whoami(session.access_token);
      expect(expired.status).to.equal(401);
      expect(expired.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
      const renewed = await refresh(session.refresh_token);
      expect(renewed.status).to.equal(200);
      expect((await whoami(renewed.json.access_token)).json).to.include({ device_id: session.device_id });
    });

    it('a non-refreshable access token expires after nonrefreshable_access_token_lifetime; logging in again with the device ID keeps the device', async function () {
      const { json: session } = await login();
      expect(session.expires_in_ms).to.equal(lifetime);
      expect(session).not.to.have.property('refresh_token');
      await sleep(lifetime + 100);
      expect((await whoami(session.access_token)).json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
      const again = await login({ device_id: session.device_id });
      expect(again.json.device_id).to.equal(session.device_id);
      const devices = await rawRequest(server().baseUrl, '/_matrix/client/v3/devices', { accessToken: again.json.access_token });
      expect(devices.json.devices.filter((d: { device_id: string }) => d.device_id === session.device_id)).to.have.length(1);
    });

    it('an expired refresh token (refresh_token_lifetime) answers 401 M_UNKNOWN_TOKEN with soft_logout: true', async function () {
      const { json: session } = await login({ refresh_token: true });
      await sleep(2 * lifetime + 100);
      const response = await refresh(session.refresh_token);
      expect(response.status).to.equal(401);
      expect(response.json).to.include({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
    });
  });
}

describe('client-server-api "Refreshing access tokens" with refreshable_access_token_lifetime: null', function () {
  const server = useTestHomeserver({ serverName: 'norefresh.test', config: { enable_registration: true, refreshable_access_token_lifetime: null } });
  const { login, register } = api(server);

  it('issues no refresh token, and a non-expiring access token, even to clients that ask', async function () {
    expect((await register({ username: 'alice', inhibit_login: true })).status).to.equal(200);
    const response = await login({ refresh_token: true });
    expect(response.status).to.equal(200);
    expect(response.json).not.to.have.property('refresh_token');
    expect(response.json).not.to.have.property('expires_in_ms');
  });
});
