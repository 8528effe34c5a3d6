import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

const passwordAuth = (user: string, password: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });

for (const engine of testEngines) {
  describe(`client-server-api "Password management" and "Account deactivation" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'accounts.test', engine, config: { enable_registration: true } });
    const url = () => server().baseUrl;

    it('changes the password after the password stage and logs out the other devices', async function () {
      const alice = await registerUser(server(), 'alice');
      const other = await loginUser(server(), alice);
      const response = await rawRequest(url(), '/_matrix/client/v3/account/password', {
        body: { new_password: 'the new one', auth: passwordAuth('alice', alice.password) },
        accessToken: alice.accessToken,
      });
      expect(response.status).to.equal(200);
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: alice.accessToken })).status).to.equal(200);
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: other.accessToken })).status).to.equal(401);
      expect((await loginUser(server(), { userId: alice.userId, password: 'the new one' })).userId).to.equal(alice.userId);
      const old = await rawRequest(url(), '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'alice', password: alice.password } });
      expect(old.status).to.equal(403);
    });

    it('keeps the other devices with logout_devices: false', async function () {
      const bob = await registerUser(server(), 'bob');
      const other = await loginUser(server(), bob);
      await rawRequest(url(), '/_matrix/client/v3/account/password', {
        body: { new_password: 'bob two', logout_devices: false, auth: passwordAuth('bob', bob.password) },
        accessToken: bob.accessToken,
      });
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: other.accessToken })).status).to.equal(200);
    });

    it('requires the password stage: without auth the answer is 401 with the flow', async function () {
      const carol = await registerUser(server(), 'carol');
      const response = await rawRequest(url(), '/_matrix/client/v3/account/password', { body: { new_password: 'x' }, accessToken: carol.accessToken });
      expect(response.status).to.equal(401);
      expect(response.json.flows).to.deep.equal([{ stages: ['m.login.password'] }]);
    });

    it('deactivates: tokens die, login fails, the user ID stays taken', async function () {
      const dave = await registerUser(server(), 'dave');
      const response = await rawRequest(url(), '/_matrix/client/v3/account/deactivate', { body: { auth: passwordAuth('dave', dave.password) }, accessToken: dave.accessToken });
      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal({ id_server_unbind_result: 'no-support' });
      expect((await rawRequest(url(), '/_matrix/client/v3/account/whoami', { accessToken: dave.accessToken })).status).to.equal(401);
      const login = await rawRequest(url(), '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'dave', password: dave.password } });
      expect(login.status).to.equal(403);
      const again = await rawRequest(url(), '/_matrix/client/v3/register', { body: { username: 'dave', password: 'x', auth: { type: 'm.login.dummy' } } });
      expect(again.json.errcode).to.equal('M_USER_IN_USE');
    });
  });
}

describe('client-server-api endpoints clients call at start-up without a server feature behind them', function () {
  const server = useTestHomeserver({ serverName: 'startup.test', config: { enable_registration: true } });

  it('"GET /account/3pid" lists no identifiers, "GET /thirdparty/protocols" no protocols; both need a token', async function () {
    const user = await registerUser(server(), 'erin');
    const threepids = await rawRequest(server().baseUrl, '/_matrix/client/v3/account/3pid', { accessToken: user.accessToken });
    expect([threepids.status, threepids.json]).to.deep.equal([200, { threepids: [] }]);
    const protocols = await rawRequest(server().baseUrl, '/_matrix/client/v3/thirdparty/protocols', { accessToken: user.accessToken });
    expect([protocols.status, protocols.json]).to.deep.equal([200, {}]);
    expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/account/3pid')).json.errcode).to.equal('M_MISSING_TOKEN');
  });
});
