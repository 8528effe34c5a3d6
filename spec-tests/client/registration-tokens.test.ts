import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEngines } from '../../src/testing/test-databases.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawRequestOptions } from '../harness/requests.ts';

const secret = 'registration token tests';
const tokensPath = '/_synapse/admin/v1/registration_tokens';
const validityPath = '/_matrix/client/v1/register/m.login.registration_token/validity';

/** Registers a user through Synapse's shared-secret admin API (the only way in while tokens are required). */
async function registerWithSharedSecret(baseUrl: string, username: string, admin: boolean): Promise<string> {
  const password = `pw-${username}-secret`;
  const { json } = await rawRequest(baseUrl, '/_synapse/admin/v1/register');
  const mac = createHmac('sha1', secret).update([json.nonce, username, password, admin ? 'admin' : 'notadmin'].join('\0')).digest('hex');
  const response = await rawRequest(baseUrl, '/_synapse/admin/v1/register', { body: { nonce: json.nonce, username, password, admin, mac } });
  if (response.status !== 200) throw new Error(`shared-secret registration failed: ${response.text}`);
  return response.json.access_token;
}

for (const engine of testEngines) {
  describe(`client-server-api "Token-authenticated registration" on ${engine}`, function () {
    this.timeout(20_000);
    const server = useTestHomeserver({ serverName: 'tokens.test', engine, config: { enable_registration: true, registration_requires_token: true, registration_shared_secret: secret } });
    const url = () => server().baseUrl;
    let adminToken = '';
    let userToken = '';
    const admin = (path: string, options: RawRequestOptions = {}) => rawRequest(url(), path, { accessToken: adminToken, ...options });
    const newToken = (body: object) => admin(`${tokensPath}/new`, { body });
    const getToken = async (token: string) => (await admin(`${tokensPath}/${token}`)).json;
    const validity = async (token: string) => (await rawRequest(url(), `${validityPath}?token=${encodeURIComponent(token)}`)).json;
    const register = (body: object) => rawRequest(url(), '/_matrix/client/v3/register', { body });
    /** Starts a UIA session for `username`; the body is fixed so the stages can follow. */
    const startRegistration = async (username: string, extra: object = {}) => {
      const body = { username, password: `pw-${username}-1`, ...extra };
      const first = await register(body);
      expect(first.status).to.equal(401);
      const stage = (auth: object) => register({ ...body, auth: { ...auth, session: first.json.session } });
      return { first, stage };
    };

    before(async function () {
      adminToken = await registerWithSharedSecret(url(), 'admin', true);
      userToken = await registerWithSharedSecret(url(), 'notadmin', false);
    });

    describe('registering', function () {
      it('offers only flows that start with m.login.registration_token, as Synapse does', async function () {
        const { first } = await startRegistration('flows');
        expect(first.json.flows).to.deep.equal([{ stages: ['m.login.registration_token', 'm.login.dummy'] }]);
        expect(first.json).not.to.have.property('errcode');
      });

      it('registers with a valid token after the token and dummy stages; the token counts one use, pending in between', async function () {
        await newToken({ token: 'single-use', uses_allowed: 1 });
        expect(await validity('single-use')).to.deep.equal({ valid: true });
        const { stage } = await startRegistration('dan');
        const afterToken = await stage({ type: 'm.login.registration_token', token: 'single-use' });
        expect(afterToken.status).to.equal(401);
        expect(afterToken.json.completed).to.deep.equal(['m.login.registration_token']);
        expect(afterToken.json).not.to.have.property('errcode');
        expect(await getToken('single-use')).to.deep.equal({ token: 'single-use', uses_allowed: 1, pending: 1, completed: 0, expiry_time: null });
        // The one use is held by this session: nobody else may start with it meanwhile.
        expect(await validity('single-use')).to.deep.equal({ valid: false });

        const done = await stage({ type: 'm.login.dummy' });
        expect(done.status).to.equal(200);
        expect(done.json.user_id).to.equal('@dan:tokens.test');
        expect(await getToken('single-use')).to.include({ pending: 0, completed: 1 });
        expect(await validity('single-use')).to.deep.equal({ valid: false });

        const { stage: again } = await startRegistration('erin');
        const refused = await again({ type: 'm.login.registration_token', token: 'single-use' });
        expect(refused.status).to.equal(401);
        expect(refused.json).to.include({ errcode: 'M_UNAUTHORIZED' });
      });

      it('refuses an unknown token and a missing token with a 401 that keeps the session, flows and no completed stage', async function () {
        const { first, stage } = await startRegistration('frank');
        const unknown = await stage({ type: 'm.login.registration_token', token: 'no-such-token' });
        expect(unknown.status).to.equal(401);
        expect(unknown.json).to.include({ errcode: 'M_UNAUTHORIZED', session: first.json.session });
        expect(unknown.json.flows).to.deep.equal(first.json.flows);
        expect(unknown.json).not.to.have.property('completed');
        const missing = await stage({ type: 'm.login.registration_token' });
        expect(missing.status).to.equal(401);
        expect(missing.json.errcode).to.equal('M_MISSING_PARAM');
      });

      it('does not register with the dummy stage alone', async function () {
        const { stage } = await startRegistration('grace');
        const response = await stage({ type: 'm.login.dummy' });
        expect(response.status).to.equal(401);
        expect(response.json.completed).to.deep.equal(['m.login.dummy']);
        expect((await rawRequest(url(), '/_matrix/client/v3/register/available?username=grace')).json).to.deep.equal({ available: true });
      });

      it('gives the pending use back when the registration fails after the stages (here: no password)', async function () {
        await newToken({ token: 'retry-me', uses_allowed: 1 });
        const first = await register({ username: 'heidi' });
        const stage = (auth: object) => register({ username: 'heidi', auth: { ...auth, session: first.json.session } });
        expect((await stage({ type: 'm.login.registration_token', token: 'retry-me' })).status).to.equal(401);
        const failed = await stage({ type: 'm.login.dummy' });
        expect(failed.status).to.equal(400);
        expect(failed.json.errcode).to.equal('M_MISSING_PARAM');
        expect(await getToken('retry-me')).to.include({ pending: 0, completed: 0 });
        expect(await validity('retry-me')).to.deep.equal({ valid: true });
      });

      it('refuses the registration if the token was deleted while the session held it', async function () {
        await newToken({ token: 'soon-gone' });
        const { stage } = await startRegistration('ivan');
        expect((await stage({ type: 'm.login.registration_token', token: 'soon-gone' })).status).to.equal(401);
        expect((await admin(`${tokensPath}/soon-gone`, { method: 'DELETE' })).status).to.equal(200);
        const response = await stage({ type: 'm.login.dummy' });
        expect(response.status).to.equal(403);
        expect(response.json.errcode).to.equal('M_FORBIDDEN');
        expect((await rawRequest(url(), '/_matrix/client/v3/register/available?username=ivan')).json).to.deep.equal({ available: true });
      });

      it('an unlimited token serves several registrations, and refuses once its expiry_time has passed', async function () {
        const expiry = Date.now() + 1500;
        await newToken({ token: 'for-a-while', expiry_time: expiry });
        for (const username of ['judy', 'ken']) {
          const { stage } = await startRegistration(username);
          expect((await stage({ type: 'm.login.registration_token', token: 'for-a-while' })).status).to.equal(401);
          expect((await stage({ type: 'm.login.dummy' })).status).to.equal(200);
        }
        expect(await getToken('for-a-while')).to.include({ completed: 2, uses_allowed: null, expiry_time: expiry });
        await sleep(Math.max(0, expiry - Date.now()) + 100);
        expect(await validity('for-a-while')).to.deep.equal({ valid: false });
        const { stage } = await startRegistration('leo');
        expect((await stage({ type: 'm.login.registration_token', token: 'for-a-while' })).json.errcode).to.equal('M_UNAUTHORIZED');
      });
    });

    describe('GET /register/m.login.registration_token/validity', function () {
      it('answers valid: false for unknown, malformed, exhausted tokens, and 400 M_MISSING_PARAM without a token', async function () {
        await newToken({ token: 'exhausted', uses_allowed: 0 });
        for (const token of ['never-issued', 'x'.repeat(65), 'with space', 'exhausted']) expect(await validity(token), token).to.deep.equal({ valid: false });
        const missing = await rawRequest(url(), validityPath);
        expect(missing.status).to.equal(400);
        expect(missing.json.errcode).to.equal('M_MISSING_PARAM');
      });
    });

    describe('Synapse admin API /_synapse/admin/v1/registration_tokens', function () {
      it('refuses non-admins with 403 M_FORBIDDEN and requests without a token with 401 M_MISSING_TOKEN', async function () {
        const calls: Array<[string, RawRequestOptions]> = [
          [tokensPath, {}],
          [`${tokensPath}/new`, { body: {} }],
          [`${tokensPath}/abc`, {}],
          [`${tokensPath}/abc`, { method: 'PUT', body: {} }],
          [`${tokensPath}/abc`, { method: 'DELETE' }],
        ];
        for (const [path, options] of calls) {
          const forbidden = await rawRequest(url(), path, { ...options, accessToken: userToken });
          expect(forbidden.status, path).to.equal(403);
          expect(forbidden.json.errcode).to.equal('M_FORBIDDEN');
          const anonymous = await rawRequest(url(), path, options);
          expect(anonymous.status, path).to.equal(401);
          expect(anonymous.json.errcode).to.equal('M_MISSING_TOKEN');
        }
      });

      it('POST /new generates a 16-character token by default, or one of the given length', async function () {
        const generated = await newToken({});
        expect(generated.status).to.equal(200);
        expect(generated.json.token).to.match(/^[A-Za-z0-9._~-]{16}$/);
        expect(generated.json).to.deep.include({ uses_allowed: null, pending: 0, completed: 0, expiry_time: null });
        expect((await newToken({ length: 64 })).json.token).to.have.length(64);
        expect((await getToken(generated.json.token)).token).to.equal(generated.json.token);
      });

      it('POST /new takes a chosen token, uses_allowed and expiry_time', async function () {
        const expiry = Date.now() + 3_600_000;
        const response = await newToken({ token: 'chosen_1.x~-', uses_allowed: 3, expiry_time: expiry });
        expect(response.status).to.equal(200);
        expect(response.json).to.deep.equal({ token: 'chosen_1.x~-', uses_allowed: 3, pending: 0, completed: 0, expiry_time: expiry });
      });

      it('POST /new refuses bad values with 400 M_INVALID_PARAM, and wrong types with 400 M_BAD_JSON', async function () {
        await newToken({ token: 'taken' });
        const invalid = [{ token: 'taken' }, { token: 'has space' }, { token: '' }, { token: 'x'.repeat(65) }, { length: 0 }, { length: 65 }, { uses_allowed: -1 }, { expiry_time: Date.now() - 1000 }];
        for (const body of invalid) {
          const response = await newToken(body);
          expect(response.status, JSON.stringify(body)).to.equal(400);
          expect(response.json.errcode, JSON.stringify(body)).to.equal('M_INVALID_PARAM');
        }
        for (const body of [{ uses_allowed: 'many' }, { expiry_time: 1.5 }, { token: 7 }]) {
          const response = await newToken(body);
          expect(response.status, JSON.stringify(body)).to.equal(400);
          expect(response.json.errcode, JSON.stringify(body)).to.equal('M_BAD_JSON');
        }
      });

      it('GET one answers the token, or 404 M_NOT_FOUND', async function () {
        await newToken({ token: 'look-me-up', uses_allowed: 2 });
        expect(await getToken('look-me-up')).to.deep.equal({ token: 'look-me-up', uses_allowed: 2, pending: 0, completed: 0, expiry_time: null });
        const missing = await admin(`${tokensPath}/not-there`);
        expect(missing.status).to.equal(404);
        expect(missing.json.errcode).to.equal('M_NOT_FOUND');
      });

      it('PUT changes uses_allowed and expiry_time (null lifts a limit), an empty body changes nothing, an unknown token is 404', async function () {
        await newToken({ token: 'to-update', uses_allowed: 1 });
        const expiry = Date.now() + 3_600_000;
        const updated = await admin(`${tokensPath}/to-update`, { method: 'PUT', body: { uses_allowed: 5, expiry_time: expiry } });
        expect(updated.status).to.equal(200);
        expect(updated.json).to.deep.equal({ token: 'to-update', uses_allowed: 5, pending: 0, completed: 0, expiry_time: expiry });
        expect((await admin(`${tokensPath}/to-update`, { method: 'PUT', body: {} })).json).to.deep.equal(updated.json);
        const lifted = await admin(`${tokensPath}/to-update`, { method: 'PUT', body: { uses_allowed: null, expiry_time: null } });
        expect(lifted.json).to.include({ uses_allowed: null, expiry_time: null });
        const past = await admin(`${tokensPath}/to-update`, { method: 'PUT', body: { expiry_time: Date.now() - 1 } });
        expect(past.status).to.equal(400);
        expect(past.json.errcode).to.equal('M_INVALID_PARAM');
        const unknown = await admin(`${tokensPath}/not-there`, { method: 'PUT', body: { uses_allowed: 1 } });
        expect(unknown.status).to.equal(404);
        expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
      });

      it('PUT can revive an exhausted token by raising uses_allowed', async function () {
        await newToken({ token: 'revived', uses_allowed: 0 });
        expect(await validity('revived')).to.deep.equal({ valid: false });
        await admin(`${tokensPath}/revived`, { method: 'PUT', body: { uses_allowed: 1 } });
        expect(await validity('revived')).to.deep.equal({ valid: true });
      });

      it('DELETE removes the token; a second DELETE, or one of an unknown token, is 404', async function () {
        await newToken({ token: 'to-delete' });
        const deleted = await admin(`${tokensPath}/to-delete`, { method: 'DELETE' });
        expect(deleted.status).to.equal(200);
        expect(deleted.json).to.deep.equal({});
        expect((await admin(`${tokensPath}/to-delete`)).status).to.equal(404);
        expect(await validity('to-delete')).to.deep.equal({ valid: false });
        const again = await admin(`${tokensPath}/to-delete`, { method: 'DELETE' });
        expect(again.status).to.equal(404);
        expect(again.json.errcode).to.equal('M_NOT_FOUND');
      });

      it('lists every token, or with ?valid=true/false only the usable or unusable ones; another value is 400 M_INVALID_PARAM', async function () {
        await newToken({ token: 'list-usable' });
        await newToken({ token: 'list-used-up', uses_allowed: 0 });
        const names = async (query: string) => ((await admin(`${tokensPath}${query}`)).json.registration_tokens as Array<{ token: string }>).map((t) => t.token);
        const all = await names('');
        expect(all).to.include.members(['list-usable', 'list-used-up']);
        const valid = await names('?valid=true');
        const invalid = await names('?valid=false');
        expect(valid).to.include('list-usable').and.not.include('list-used-up');
        expect(invalid).to.include('list-used-up').and.not.include('list-usable');
        expect([...valid, ...invalid].sort()).to.deep.equal([...all].sort());
        const listed = (await admin(tokensPath)).json.registration_tokens.find((t: { token: string }) => t.token === 'list-used-up');
        expect(listed).to.deep.equal({ token: 'list-used-up', uses_allowed: 0, pending: 0, completed: 0, expiry_time: null });
        const bad = await admin(`${tokensPath}?valid=maybe`);
        expect(bad.status).to.equal(400);
        expect(bad.json.errcode).to.equal('M_INVALID_PARAM');
      });
    });
  });
}

describe('client-server-api "Token-authenticated registration" when not required or not open', function () {
  describe('with registration open and registration_requires_token off (the default)', function () {
    const server = useTestHomeserver({ serverName: 'open.test', config: { enable_registration: true } });

    it('does not offer the token stage, and refuses it as not offered', async function () {
      const first = await rawRequest(server().baseUrl, '/_matrix/client/v3/register', { body: { username: 'mia', password: 'pw-mia-1' } });
      expect(first.json.flows).to.deep.equal([{ stages: ['m.login.dummy'] }]);
      const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/register', {
        body: { username: 'mia', password: 'pw-mia-1', auth: { type: 'm.login.registration_token', token: 'whatever', session: first.json.session } },
      });
      expect(response.status).to.equal(401);
      expect(response.json.errcode).to.equal('M_UNRECOGNIZED');
    });

    it('still answers the validity check', async function () {
      expect((await rawRequest(server().baseUrl, `${validityPath}?token=abc`)).json).to.deep.equal({ valid: false });
    });
  });

  describe('with registration closed', function () {
    const server = useTestHomeserver({ serverName: 'shut.test', config: { registration_requires_token: true } });

    it('answers the validity check with 403 M_FORBIDDEN', async function () {
      const response = await rawRequest(server().baseUrl, `${validityPath}?token=abc`);
      expect(response.status).to.equal(403);
      expect(response.json.errcode).to.equal('M_FORBIDDEN');
    });
  });
});
