import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { generateSigningKey, signingKeyFromSeed, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';
import { TestFederationRequester, xMatrixAuthorization } from '../harness/server-requests.ts';

describe('server-server-api "Request Authentication" (X-Matrix), on GET /_matrix/federation/v1/query/profile', function () {
  const requesterOfA = new TestFederationRequester();
  const a = useTestHomeserver({ serverName: 'a.test', federationRequester: requesterOfA, config: { enable_registration: true, trusted_key_servers: [] } });
  const b = useTestHomeserver({ serverName: 'b.test', config: { trusted_key_servers: [] } });
  let alice: TestUser;
  before(async function () {
    requesterOfA.directory.set('b.test', b().baseUrl);
    alice = await registerUser(a(), 'alice');
    await clientApi(a)(alice, 'PUT', `/profile/${encodeURIComponent(alice.userId)}/displayname`, { displayname: 'Alice' });
  });

  const keyOfB = () => b().homeserver.serverKeys.signingKey;
  const profilePath = (userId: string, field?: string) => `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(userId)}${field ? `&field=${field}` : ''}`;

  /** A request from b.test to `server`, signed over `signed` (by default what is sent). */
  function signedRequest(
    server: TestHomeserver,
    path: string,
    options: { key?: SigningKey; destination?: string; content?: JsonObject; sentBody?: JsonObject; signedUri?: string; withDestination?: boolean; extraHeaders?: string[] } = {},
  ): Promise<RawResponse> {
    const authorization = xMatrixAuthorization(
      { method: 'GET', uri: options.signedUri ?? path, origin: 'b.test', destination: options.destination ?? server.serverName, content: options.content },
      options.key ?? keyOfB(),
      { withDestination: options.withDestination },
    );
    const body = options.sentBody ?? options.content;
    return rawRequest(server.baseUrl, path, {
      method: 'GET',
      headers: { authorization: [...(options.extraHeaders ?? []), authorization] as unknown as string },
      body,
    });
  }

  it('accepts a request signed by the origin\'s key, fetched from the origin', async function () {
    const response = await signedRequest(a(), profilePath(alice.userId));
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({ displayname: 'Alice' });
    expect(requesterOfA.sentTo('b.test')).to.deep.equal(['GET /_matrix/key/v2/server']);
  });

  it('query/profile: answers only the field asked for, and 404 M_NOT_FOUND for an unknown user', async function () {
    expect((await signedRequest(a(), profilePath(alice.userId, 'displayname'))).json).to.deep.equal({ displayname: 'Alice' });
    expect((await signedRequest(a(), profilePath(alice.userId, 'avatar_url'))).json).to.deep.equal({});
    const unknown = await signedRequest(a(), profilePath('@nobody:a.test'));
    expect(unknown.status).to.equal(404);
    expect(unknown.json.errcode).to.equal('M_NOT_FOUND');
  });

  it('accepts a header without destination, as older servers send it', async function () {
    expect((await signedRequest(a(), profilePath(alice.userId), { withDestination: false })).status).to.equal(200);
  });

  it('accepts the request when one of several Authorization headers is valid', async function () {
    const wrong = 'X-Matrix origin="b.test",destination="a.test",key="ed25519:nope",sig="AAAA"';
    const response = await signedRequest(a(), profilePath(alice.userId), { extraHeaders: [wrong] });
    expect(response.status).to.equal(200);
  });

  const expectUnauthorized = (response: RawResponse) => {
    expect(response.status).to.equal(401);
    expect(response.json.errcode).to.equal('M_UNAUTHORIZED');
  };

  it('refuses a request for another destination with 401 M_UNAUTHORIZED', async function () {
    expectUnauthorized(await signedRequest(a(), profilePath(alice.userId), { destination: 'elsewhere.test' }));
  });

  it('refuses a forged signature (another key under the origin\'s key ID)', async function () {
    const impostor = signingKeyFromSeed(keyOfB().version, randomBytes(32));
    expectUnauthorized(await signedRequest(a(), profilePath(alice.userId), { key: impostor }));
  });

  it('refuses a signature by a key the origin does not publish', async function () {
    expectUnauthorized(await signedRequest(a(), profilePath(alice.userId), { key: generateSigningKey() }));
  });

  it('refuses a request without an X-Matrix header, or with a malformed one', async function () {
    expectUnauthorized(await rawRequest(a().baseUrl, profilePath(alice.userId)));
    expectUnauthorized(await rawRequest(a().baseUrl, profilePath(alice.userId), { headers: { authorization: 'Bearer abc' } }));
    expectUnauthorized(await rawRequest(a().baseUrl, profilePath(alice.userId), { headers: { authorization: 'X-Matrix origin="b.test",key="ed25519:x"' } }));
  });

  it('refuses a request whose body or target changed after signing', async function () {
    expect((await signedRequest(a(), profilePath(alice.userId), { content: { n: 1 } })).status).to.equal(200);
    expectUnauthorized(await signedRequest(a(), profilePath(alice.userId), { content: { n: 1 }, sentBody: { n: 2 } }));
    expectUnauthorized(await signedRequest(a(), profilePath(alice.userId), { signedUri: profilePath('@someone:a.test') }));
  });

  it('leaves GET /_matrix/federation/v1/version public', async function () {
    expect((await rawRequest(a().baseUrl, '/_matrix/federation/v1/version')).status).to.equal(200);
  });

  describe('with federation_domain_whitelist', function () {
    const requesterOfC = new TestFederationRequester();
    const c = useTestHomeserver({ serverName: 'c.test', federationRequester: requesterOfC, config: { federation_domain_whitelist: ['other.test'], trusted_key_servers: [] } });
    before(function () {
      requesterOfC.directory.set('b.test', b().baseUrl);
    });

    it('refuses an origin outside the list with 403 M_FORBIDDEN, without fetching its keys', async function () {
      const response = await signedRequest(c(), profilePath('@anyone:c.test'));
      expect(response.status).to.equal(403);
      expect(response.json.errcode).to.equal('M_FORBIDDEN');
      expect(requesterOfC.requests).to.deep.equal([]);
    });

    describe('that lists the origin', function () {
      const requesterOfD = new TestFederationRequester();
      const d = useTestHomeserver({ serverName: 'd.test', federationRequester: requesterOfD, config: { federation_domain_whitelist: ['b.test'], trusted_key_servers: [] } });
      before(function () {
        requesterOfD.directory.set('b.test', b().baseUrl);
      });

      it('accepts its signed requests', async function () {
        const response = await signedRequest(d(), profilePath('@nobody:d.test'));
        expect(response.status).to.equal(404);
        expect(response.json.errcode).to.equal('M_NOT_FOUND');
      });
    });
  });
});
