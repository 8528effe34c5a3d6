import { expect } from 'chai';
import { testCertificateAuthority } from '../../spec-tests/harness/test-certificates.ts';
import { defaultIpRangeBlacklist } from '../config/schema.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../core/crypto/signing-key.ts';
import { initCrypto } from '../core/crypto/sodium.ts';
import { MatrixError } from '../core/errors.ts';
import { parseXMatrixHeader, verifyRequestSignature } from '../core/federation/x-matrix.ts';
import { selfSignedCertificate, startHttpsTestServer, type HttpsTestServer, type ReceivedRequest } from '../testing/https-test-server.ts';
import { testDns } from '../testing/test-dns.ts';
import type { DnsResolver } from './dns-resolver.ts';
import { FederationClient, FederationRequestError, type FederationClientOptions } from './federation-client.ts';

/** The X-Matrix check a receiving server makes, with our public key. */
function verifiesAs(request: ReceivedRequest, key: SigningKey, destination: string): boolean {
  const credentials = parseXMatrixHeader(String(request.headers.authorization));
  if (!credentials || credentials.origin !== 'origin.test' || credentials.key !== key.keyId || credentials.destination !== destination) return false;
  const content = request.body === '' ? undefined : (JSON.parse(request.body) as Record<string, unknown>);
  return verifyRequestSignature({ method: request.method, uri: request.url, origin: credentials.origin, destination, content }, credentials.sig, encodePublicKey(key));
}

async function failure(promise: Promise<unknown>): Promise<FederationRequestError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the request should have failed').to.be.instanceOf(FederationRequestError);
  return error as FederationRequestError;
}

describe('FederationClient (server-server-api "Request Authentication", "Resolving server names", "TLS")', () => {
  let key: SigningKey;
  let caCert: string;
  let remote: HttpsTestServer;
  let now: number;
  const clients: FederationClient[] = [];

  before(async () => {
    await initCrypto();
    key = generateSigningKey();
    caCert = (await testCertificateAuthority()).cert;
    remote = await startHttpsTestServer(['remote.test', 'delegating.test', 'srv.test'], () => ({ body: { server: { name: 'Remote' } } }));
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await remote.close();
  });
  beforeEach(() => {
    now = 1_700_000_000_000;
    remote.received.length = 0;
    remote.handler = () => ({ body: { server: { name: 'Remote' } } });
  });

  const client = (options: Partial<FederationClientOptions> & { dnsRecords?: Parameters<typeof testDns>[0]; dnsResolver?: DnsResolver } = {}) => {
    const made = new FederationClient({
      serverName: 'origin.test',
      signingKey: key,
      verifyCertificates: true,
      caCertificates: [caCert],
      ipRangeDenyList: defaultIpRangeBlacklist,
      ipRangeAllowList: ['127.0.0.1/32'],
      dns: options.dnsResolver ?? testDns(options.dnsRecords ?? { hosts: { 'remote.test': ['127.0.0.1'], 'srv.test': ['127.0.0.1'], 'delegating.test': ['127.0.0.1'] } }),
      clock: () => now,
      random: () => 0.5,
      wellKnownPort: remote.port,
      ...options,
    });
    clients.push(made);
    return made;
  };
  const version = (destination: string) => ({ method: 'GET' as const, destination, path: '/_matrix/federation/v1/version' });

  describe('where requests go', () => {
    it('sends a signed GET to a hostname with explicit port, with Host and SNI of the server name', async () => {
      const destination = `remote.test:${remote.port}`;
      const response = await client().request(version(destination));
      expect(response).to.deep.equal({ status: 200, json: { server: { name: 'Remote' } } });
      const [received] = remote.received;
      expect(received).to.deep.include({ method: 'GET', url: '/_matrix/federation/v1/version', servername: 'remote.test' });
      expect(received!.headers.host).to.equal(destination);
      expect(verifiesAs(received!, key, destination), 'the X-Matrix header verifies with our public key').to.equal(true);
    });

    it('signs a PUT body exactly as sent, the query string included in the signed uri', async () => {
      const destination = `remote.test:${remote.port}`;
      const body = { pdus: [], edus: [{ edu_type: 'm.typing', content: { typing: true, 'ü': 'ß' } }] };
      await client().request({ method: 'PUT', destination, path: '/_matrix/federation/v1/send/txn1?x=%20y', body });
      const [received] = remote.received;
      expect(JSON.parse(received!.body)).to.deep.equal(body);
      expect(received!.headers['content-type']).to.equal('application/json');
      expect(received!.url).to.equal('/_matrix/federation/v1/send/txn1?x=%20y');
      expect(verifiesAs(received!, key, destination)).to.equal(true);
    });

    it('sends {} for a PUT or POST without a body, signed as such', async () => {
      const destination = `remote.test:${remote.port}`;
      await client().request({ method: 'POST', destination, path: '/_matrix/federation/v1/user/keys/query' });
      expect(remote.received[0]!.body).to.equal('{}');
      expect(verifiesAs(remote.received[0]!, key, destination)).to.equal(true);
    });

    it('sends no Authorization header when unsigned', async () => {
      await client().request({ ...version(`remote.test:${remote.port}`), signed: false });
      expect(remote.received[0]!.headers.authorization).to.equal(undefined);
    });

    it('connects to an IP literal without SNI, verifying the certificate for the address', async () => {
      const destination = `127.0.0.1:${remote.port}`;
      await client().request(version(destination));
      expect(remote.received[0]).to.deep.include({ servername: false });
      expect(remote.received[0]!.headers.host).to.equal(destination);
      expect(verifiesAs(remote.received[0]!, key, destination)).to.equal(true);
    });

    it('follows well-known delegation, signing for the original server name', async () => {
      remote.handler = (request) =>
        request.url === '/.well-known/matrix/server' ? { body: { 'm.server': `remote.test:${remote.port}` } } : { body: { ok: true } };
      await client().request(version('delegating.test'));
      const [wellKnown, federation] = remote.received;
      expect(wellKnown).to.deep.include({ url: '/.well-known/matrix/server', servername: 'delegating.test' });
      expect(wellKnown!.headers.authorization, 'the well-known request is not signed').to.equal(undefined);
      expect(federation).to.deep.include({ url: '/_matrix/federation/v1/version', servername: 'remote.test' });
      expect(federation!.headers.host).to.equal(`remote.test:${remote.port}`);
      expect(verifiesAs(federation!, key, 'delegating.test'), 'destination is the name before delegation').to.equal(true);
    });

    it('follows an SRV record, with Host and certificate of the server name', async () => {
      remote.handler = (request) => (request.url.startsWith('/.well-known') ? { status: 404, body: {} } : { body: { ok: true } });
      const c = client({ dnsRecords: { hosts: { 'srv.test': ['127.0.0.1'], 'target.test': ['127.0.0.1'] }, srv: { '_matrix-fed._tcp.srv.test': [{ name: 'target.test', port: remote.port, priority: 0, weight: 0 }] } } });
      await c.request(version('srv.test'));
      const federation = remote.received.find((r) => r.url === '/_matrix/federation/v1/version')!;
      expect(federation).to.deep.include({ servername: 'srv.test' });
      expect(federation.headers.host).to.equal('srv.test');
      expect(await c.resolve('srv.test')).to.deep.equal({ host: 'target.test', port: remote.port, hostHeader: 'srv.test', tlsServerName: 'srv.test' });
    });

    it('falls back to port 8448 of the hostname when there is neither well-known nor SRV', async () => {
      remote.handler = () => ({ status: 404, body: {} });
      expect(await client().resolve('remote.test')).to.deep.equal({ host: 'remote.test', port: 8448, hostHeader: 'remote.test', tlsServerName: 'remote.test' });
    });
  });

  describe('what is refused', () => {
    it('refuses a deny-listed address (loopback by default) without connecting, unless allow-listed', async () => {
      const error = await failure(client({ ipRangeAllowList: [] }).request(version(`remote.test:${remote.port}`)));
      expect(error.reason).to.equal('ip_denied');
      expect(error.status).to.equal(undefined);
      const literal = await failure(client({ ipRangeAllowList: [] }).request(version(`127.0.0.1:${remote.port}`)));
      expect(literal.reason).to.equal('ip_denied');
      expect(remote.received).to.have.length(0);
      await client({ ipRangeAllowList: ['127.0.0.1/32'] }).request(version(`remote.test:${remote.port}`));
      expect(remote.received).to.have.length(1);
    });

    it('refuses a name with any deny-listed address, and an IPv4-mapped loopback', async () => {
      const mixed = client({ dnsRecords: { hosts: { 'remote.test': ['127.0.0.1', '10.0.0.1'] } } });
      expect((await failure(mixed.request(version(`remote.test:${remote.port}`)))).reason).to.equal('ip_denied');
      const mapped = client({ ipRangeAllowList: [], dnsRecords: { hosts: { 'remote.test': ['::ffff:127.0.0.1'] } } });
      expect((await failure(mapped.request(version(`remote.test:${remote.port}`)))).reason).to.equal('ip_denied');
      expect(remote.received).to.have.length(0);
    });

    it('refuses destinations outside federation_domain_whitelist without a request', async () => {
      const c = client({ domainAllowList: ['elsewhere.test'] });
      const error = await failure(c.request(version(`remote.test:${remote.port}`)));
      expect(error.reason).to.equal('destination_not_allowed');
      expect(remote.received).to.have.length(0);
      expect(c.isBackingOff(`remote.test:${remote.port}`)).to.equal(false);
      await client({ domainAllowList: [`remote.test:${remote.port}`] }).request(version(`remote.test:${remote.port}`));
      expect(remote.received).to.have.length(1);
    });

    it('rejects a certificate from an unknown authority, unless verification is off', async () => {
      const stranger = await startHttpsTestServer('remote.test', () => ({ body: { ok: true } }), await selfSignedCertificate('remote.test'));
      try {
        const error = await failure(client().request(version(`remote.test:${stranger.port}`)));
        expect(error.reason).to.equal('tls');
        expect(stranger.received).to.have.length(0);
        await client({ verifyCertificates: false }).request(version(`remote.test:${stranger.port}`));
        expect(stranger.received).to.have.length(1);
      } finally {
        await stranger.close();
      }
    });

    it('trusts the custom CA list only when given it', async () => {
      expect((await failure(client({ caCertificates: [] }).request(version(`remote.test:${remote.port}`)))).reason).to.equal('tls');
      await client({ caCertificates: [caCert] }).request(version(`remote.test:${remote.port}`));
      expect(remote.received).to.have.length(1);
    });

    it('rejects a valid certificate for another name', async () => {
      const other = await startHttpsTestServer('other.test', () => ({ body: { ok: true } }));
      try {
        const error = await failure(client().request(version(`remote.test:${other.port}`)));
        expect(error.reason).to.equal('tls');
        expect(other.received).to.have.length(0);
      } finally {
        await other.close();
      }
    });
  });

  describe('answers and failures', () => {
    const destination = () => `remote.test:${remote.port}`;

    it('turns a non-2xx answer into FederationRequestError with status, errcode and error', async () => {
      remote.handler = () => ({ status: 403, body: { errcode: 'M_FORBIDDEN', error: 'Not in room', extra: 1 } });
      const error = await failure(client().request(version(destination())));
      expect(error).to.include({ reason: 'http', status: 403, errcode: 'M_FORBIDDEN', error: 'Not in room', destination: destination() });
      expect(error.body).to.deep.equal({ errcode: 'M_FORBIDDEN', error: 'Not in room', extra: 1 });
    });

    it('reports a non-JSON error body without errcode, and a non-object 2xx body as invalid', async () => {
      remote.handler = () => ({ status: 404, raw: '<html>no</html>' });
      expect(await failure(client().request(version(destination())))).to.include({ reason: 'http', status: 404, errcode: undefined });
      remote.handler = () => ({ status: 200, raw: '[1,2]' });
      expect(await failure(client().request(version(destination())))).to.include({ reason: 'invalid_response', status: 200 });
    });

    it('refuses an answer over the size limit', async () => {
      remote.handler = () => ({ body: { padding: 'x'.repeat(10_000) } });
      const error = await failure(client().request({ ...version(destination()), maxResponseBytes: 1_000 }));
      expect(error.reason).to.equal('response_too_large');
    });

    it('times out a request that gets no answer', async () => {
      remote.handler = () => ({ hang: true });
      const started = Date.now();
      const error = await failure(client().request({ ...version(destination()), timeoutMs: 300 }));
      expect(error.reason).to.equal('timeout');
      expect(Date.now() - started).to.be.below(5_000);
    });

    it('backs off after a 5xx, fails fast meanwhile, and resets after a success', async () => {
      const c = client();
      remote.handler = () => ({ status: 502, body: { errcode: 'M_UNKNOWN' } });
      expect(await failure(c.request(version(destination())))).to.include({ reason: 'http', status: 502 });
      expect(c.isBackingOff(destination())).to.equal(true);
      const fast = await failure(c.request(version(destination())));
      expect(fast).to.include({ reason: 'backing_off', retryAfterMs: 2_000 });
      expect(remote.received).to.have.length(1);
      now += 2_000;
      expect(c.isBackingOff(destination())).to.equal(false);
      await failure(c.request(version(destination())));
      expect((await failure(c.request(version(destination())))).retryAfterMs, 'the second failure doubles the delay').to.equal(4_000);
      now += 4_000;
      remote.handler = () => ({ body: { ok: true } });
      await c.request(version(destination()));
      expect(c.isBackingOff(destination())).to.equal(false);
      remote.handler = () => ({ status: 500, body: {} });
      await failure(c.request(version(destination())));
      expect((await failure(c.request(version(destination())))).retryAfterMs, 'back to 2 s after the success').to.equal(2_000);
    });

    it('backs off after a connection failure; resetBackoff lets requests through again', async () => {
      const closed = await startHttpsTestServer('remote.test', () => ({ body: {} }));
      const port = closed.port;
      await closed.close();
      const c = client();
      const error = await failure(c.request(version(`remote.test:${port}`)));
      expect(error.reason).to.equal('network');
      expect(error.cause).to.be.instanceOf(Error);
      expect(c.isBackingOff(`remote.test:${port}`)).to.equal(true);
      expect(c.isBackingOff(destination()), 'other destinations are unaffected').to.equal(false);
      c.resetBackoff(`remote.test:${port}`);
      expect((await failure(c.request(version(`remote.test:${port}`)))).reason).to.equal('network');
    });

    it('does not back off after a 4xx', async () => {
      const c = client();
      remote.handler = () => ({ status: 404, body: { errcode: 'M_UNRECOGNIZED' } });
      await failure(c.request(version(destination())));
      expect(c.isBackingOff(destination())).to.equal(false);
    });

    it('refuses a body canonical JSON cannot encode (a float) before sending, without backoff', async () => {
      const c = client();
      const error = await c.request({ method: 'PUT', destination: destination(), path: '/_matrix/federation/v1/send/1', body: { depth: 1.5 } }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(MatrixError).with.property('errcode', 'M_BAD_JSON');
      expect(remote.received).to.have.length(0);
      expect(c.isBackingOff(destination())).to.equal(false);
    });

    it('reports an unresolvable name as a resolution failure', async () => {
      const error = await failure(client().request(version('nowhere.test:8448')));
      expect(error.reason).to.equal('resolution');
      expect((await failure(client().request(version('bad name')))).reason).to.equal('resolution');
    });
  });
});
