import { expect } from 'chai';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

const slow = { per_second: 0.01, burst_count: 2 };

describe('client-server-api "Rate limiting": 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After', function () {
  const server = useTestHomeserver({
    serverName: 'ratelimit.test',
    config: {
      enable_registration: true,
      rc_message: slow,
      rc_login: { address: { per_second: 1000, burst_count: 1000 }, account: { per_second: 1000, burst_count: 1000 }, failed_attempts: slow },
      rc_registration: { per_second: 0.01, burst_count: 4 },
    },
  });
  let alice: TestUser;
  before(async function () {
    alice = await registerUser(server(), 'alice');
  });

  const login = (password: string) =>
    rawRequest(server().baseUrl, '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password } });

  it('refuses logins after too many failed attempts for the account, even with the right password', async function () {
    expect((await login('wrong')).status).to.equal(403);
    expect((await login('wrong')).status).to.equal(403);
    const limited = await login(alice.password);
    expect(limited.status).to.equal(429);
    expect(limited.json.errcode).to.equal('M_LIMIT_EXCEEDED');
    expect(limited.json.retry_after_ms).to.be.a('number').above(0);
    expect(Number(limited.headers['retry-after'])).to.be.at.least(1);
  });

  it('limits registration requests per client address', async function () {
    const attempts = [];
    for (let i = 0; i < 4; i++) {
      attempts.push(await rawRequest(server().baseUrl, '/_matrix/client/v3/register', { body: { username: `many${i}`, password: 'pw-secret-123', auth: { type: 'm.login.dummy' } } }));
    }
    expect(attempts.map((response) => response.status)).to.include(429);
  });
});
