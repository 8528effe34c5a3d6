import { expect } from 'chai';
import { testCertificateAuthority } from '../../spec-tests/harness/test-certificates.ts';
import { startHttpsTestServer, type HttpsTestServer, type TestAnswer } from '../testing/https-test-server.ts';
import { testDns } from '../testing/test-dns.ts';
import type { SrvRecord } from './dns-resolver.ts';
import { HttpsConnections } from './https-connections.ts';
import { IpAddressFilter } from './ip-ranges.ts';
import { chooseSrvRecord, resolveServerName, type DiscoveryDependencies } from './server-discovery.ts';
import { WellKnownResolver } from './well-known.ts';

const srv = (name: string, port: number, priority = 10, weight = 0): SrvRecord => ({ name, port, priority, weight });
const noWellKnown = async () => undefined;

describe('server name resolution (server-server-api "Resolving server names")', () => {
  describe('steps 1 and 2: IP literals and explicit ports need neither well-known nor SRV', () => {
    const deps = (): DiscoveryDependencies & { dns: ReturnType<typeof testDns> } => ({
      dns: testDns({}),
      wellKnown: () => Promise.reject(new Error('well-known must not be fetched')),
    });

    it('uses an IPv4 literal with port 8448 by default, Host being the server name', async () => {
      expect(await resolveServerName('1.2.3.4', deps())).to.deep.equal({ host: '1.2.3.4', port: 8448, hostHeader: '1.2.3.4', tlsServerName: '1.2.3.4' });
    });

    it('uses an IPv6 literal with its port, connecting without brackets', async () => {
      const d = deps();
      expect(await resolveServerName('[2001:db8::1]:8449', d)).to.deep.equal({ host: '2001:db8::1', port: 8449, hostHeader: '[2001:db8::1]:8449', tlsServerName: '2001:db8::1' });
      expect(d.dns.srvQueries).to.deep.equal([]);
    });

    it('connects to a hostname with an explicit port, Host being the server name with port', async () => {
      const d = deps();
      expect(await resolveServerName('remote.test:1234', d)).to.deep.equal({ host: 'remote.test', port: 1234, hostHeader: 'remote.test:1234', tlsServerName: 'remote.test' });
      expect(d.dns.srvQueries).to.deep.equal([]);
    });

    it('rejects a name outside the grammar', async () => {
      const error = await resolveServerName('bad name', deps()).catch((e: Error) => e);
      expect(error).to.be.instanceOf(Error).with.property('name', 'ServerDiscoveryError');
    });
  });

  describe('step 3: well-known delegation', () => {
    const delegation = (delegated: string, srvRecords: Record<string, SrvRecord[]> = {}) => {
      const asked: string[] = [];
      const dns = testDns({ srv: srvRecords });
      const deps: DiscoveryDependencies = { dns, wellKnown: async (hostname) => (asked.push(hostname), hostname === 'remote.test' ? delegated : undefined) };
      return { deps, asked, dns };
    };

    it('3.1: a delegated IP literal, Host being the delegated name with its port', async () => {
      const { deps } = delegation('10.1.2.3:4443');
      expect(await resolveServerName('remote.test', deps)).to.deep.equal({ host: '10.1.2.3', port: 4443, hostHeader: '10.1.2.3:4443', tlsServerName: '10.1.2.3' });
    });

    it('3.2: a delegated hostname with a port, without SRV lookups', async () => {
      const { deps, dns } = delegation('delegated.test:9000');
      expect(await resolveServerName('remote.test', deps)).to.deep.equal({ host: 'delegated.test', port: 9000, hostHeader: 'delegated.test:9000', tlsServerName: 'delegated.test' });
      expect(dns.srvQueries).to.deep.equal([]);
    });

    it('3.3: SRV _matrix-fed._tcp of the delegated hostname, Host and certificate naming the delegated hostname', async () => {
      const { deps, asked } = delegation('delegated.test', { '_matrix-fed._tcp.delegated.test': [srv('target.test', 7000)], '_matrix._tcp.delegated.test': [srv('old.test', 7001)] });
      expect(await resolveServerName('remote.test', deps)).to.deep.equal({ host: 'target.test', port: 7000, hostHeader: 'delegated.test', tlsServerName: 'delegated.test' });
      expect(asked, 'the delegated name gets no well-known lookup of its own').to.deep.equal(['remote.test']);
    });

    it('3.4: the deprecated _matrix._tcp when _matrix-fed._tcp has no record', async () => {
      const { deps, dns } = delegation('delegated.test', { '_matrix._tcp.delegated.test': [srv('old.test', 7001)] });
      expect(await resolveServerName('remote.test', deps)).to.deep.equal({ host: 'old.test', port: 7001, hostHeader: 'delegated.test', tlsServerName: 'delegated.test' });
      expect(dns.srvQueries).to.deep.equal(['_matrix-fed._tcp.delegated.test', '_matrix._tcp.delegated.test']);
    });

    it('3.5: port 8448 of the delegated hostname when it has no SRV record', async () => {
      const { deps } = delegation('delegated.test');
      expect(await resolveServerName('remote.test', deps)).to.deep.equal({ host: 'delegated.test', port: 8448, hostHeader: 'delegated.test', tlsServerName: 'delegated.test' });
    });
  });

  describe('steps 4 to 6: no well-known', () => {
    it('4: prefers SRV _matrix-fed._tcp over _matrix._tcp, Host and certificate naming the server', async () => {
      const dns = testDns({ srv: { '_matrix-fed._tcp.remote.test': [srv('fed.remote.test.', 8000)], '_matrix._tcp.remote.test': [srv('old.remote.test', 8001)] } });
      expect(await resolveServerName('remote.test', { dns, wellKnown: noWellKnown })).to.deep.equal({ host: 'fed.remote.test', port: 8000, hostHeader: 'remote.test', tlsServerName: 'remote.test' });
      expect(dns.srvQueries).to.deep.equal(['_matrix-fed._tcp.remote.test']);
    });

    it('5: falls back to the deprecated _matrix._tcp', async () => {
      const dns = testDns({ srv: { '_matrix._tcp.remote.test': [srv('old.remote.test', 8001)] } });
      expect(await resolveServerName('remote.test', { dns, wellKnown: noWellKnown })).to.deep.equal({ host: 'old.remote.test', port: 8001, hostHeader: 'remote.test', tlsServerName: 'remote.test' });
    });

    it('6: falls back to port 8448 of the hostname', async () => {
      const dns = testDns({});
      expect(await resolveServerName('remote.test', { dns, wellKnown: noWellKnown })).to.deep.equal({ host: 'remote.test', port: 8448, hostHeader: 'remote.test', tlsServerName: 'remote.test' });
      expect(dns.srvQueries).to.deep.equal(['_matrix-fed._tcp.remote.test', '_matrix._tcp.remote.test']);
    });

    it('fails rather than guess when the resolver fails, and when SRV says "." (service not available)', async () => {
      const failing = { lookup: () => Promise.reject(new Error('unused')), resolveSrv: () => Promise.reject(Object.assign(new Error('SERVFAIL'), { code: 'ESERVFAIL' })) };
      expect(await resolveServerName('remote.test', { dns: failing, wellKnown: noWellKnown }).catch((e: Error) => e.message)).to.include('SERVFAIL');
      const dot = testDns({ srv: { '_matrix-fed._tcp.remote.test': [srv('.', 0)] } });
      expect(await resolveServerName('remote.test', { dns: dot, wellKnown: noWellKnown }).catch((e: Error) => e.message)).to.include('not available');
    });
  });

  describe('chooseSrvRecord (RFC 2782)', () => {
    it('takes the lowest priority, then chooses by weight', () => {
      const records = [srv('c', 3, 20, 100), srv('a', 1, 10, 1), srv('b', 2, 10, 3)];
      expect(chooseSrvRecord(records, () => 0)?.name).to.equal('a');
      expect(chooseSrvRecord(records, () => 0.24)?.name).to.equal('a');
      expect(chooseSrvRecord(records, () => 0.26)?.name).to.equal('b');
      expect(chooseSrvRecord(records, () => 0.99)?.name).to.equal('b');
      expect(chooseSrvRecord([srv('x', 1, 5, 0), srv('y', 2, 5, 0)], () => 0.6)?.name).to.equal('y');
      expect(chooseSrvRecord([srv('.', 0)], () => 0)).to.equal(undefined);
    });
  });

  describe('well-known lookups over HTTPS', () => {
    let server: HttpsTestServer;
    let now: number;
    let answers: Record<string, TestAnswer>;
    let caCert: string;

    before(async () => {
      caCert = (await testCertificateAuthority()).cert;
      server = await startHttpsTestServer(['remote.test', 'other.test', 'big.test', 'loop.test'], (request) => {
        const host = String(request.headers.host).replace(/:\d+$/, '');
        return answers[`${host}${request.url}`] ?? { status: 404, body: { errcode: 'M_NOT_FOUND' } };
      });
    });
    after(() => server.close());
    beforeEach(() => {
      now = 1_700_000_000_000;
      answers = {};
      server.received.length = 0;
    });

    const resolver = (options: { allowList?: string[]; hosts?: Record<string, string[]> } = {}) => {
      const dns = testDns({ hosts: options.hosts ?? { 'remote.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'], 'big.test': ['127.0.0.1'], 'loop.test': ['127.0.0.1'] } });
      const connections = new HttpsConnections({
        dns,
        addressFilter: new IpAddressFilter({ denyList: ['127.0.0.0/8'], allowList: options.allowList ?? ['127.0.0.1/32'] }),
        verifyCertificates: true,
        caCertificates: [caCert],
      });
      return { wellKnown: new WellKnownResolver({ connections, clock: () => now, port: server.port }), connections, dns };
    };
    const path = '/.well-known/matrix/server';
    const hits = () => server.received.length;

    it('reads m.server and feeds it to the delegation steps', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'delegated.test:9000' } };
      const { wellKnown, dns, connections } = resolver();
      const resolved = await resolveServerName('remote.test', { dns, wellKnown: (hostname) => wellKnown.lookup(hostname) });
      expect(resolved).to.deep.equal({ host: 'delegated.test', port: 9000, hostHeader: 'delegated.test:9000', tlsServerName: 'delegated.test' });
      expect(server.received[0]).to.deep.include({ method: 'GET', url: path, servername: 'remote.test' });
      await connections.close();
    });

    it('caches an answer for its max-age, then asks again', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' }, headers: { 'cache-control': 'public, max-age=600' } };
      const { wellKnown, connections } = resolver();
      expect(await wellKnown.lookup('remote.test')).to.equal('a.test');
      answers[`remote.test${path}`] = { body: { 'm.server': 'b.test' } };
      now += 599_000;
      expect(await wellKnown.lookup('remote.test')).to.equal('a.test');
      expect(hits()).to.equal(1);
      now += 2_000;
      expect(await wellKnown.lookup('remote.test')).to.equal('b.test');
      expect(hits()).to.equal(2);
      await connections.close();
    });

    it('caches an answer without cache headers for 24 hours', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' } };
      const { wellKnown, connections } = resolver();
      await wellKnown.lookup('remote.test');
      now += 24 * 3_600_000 - 1;
      await wellKnown.lookup('remote.test');
      expect(hits()).to.equal(1);
      now += 2;
      await wellKnown.lookup('remote.test');
      expect(hits()).to.equal(2);
      await connections.close();
    });

    it('caches an error (a 404) for an hour, answering undefined', async () => {
      const { wellKnown, connections } = resolver();
      expect(await wellKnown.lookup('remote.test')).to.equal(undefined);
      now += 3_600_000 - 1;
      expect(await wellKnown.lookup('remote.test')).to.equal(undefined);
      expect(hits()).to.equal(1);
      now += 2;
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' } };
      expect(await wellKnown.lookup('remote.test')).to.equal('a.test');
      await connections.close();
    });

    it('treats bad JSON, a missing or invalid m.server as errors', async () => {
      answers[`remote.test${path}`] = { raw: 'not json' };
      answers[`other.test${path}`] = { body: { 'm.server': 'bad name!' } };
      answers[`big.test${path}`] = { body: { 'm.servers': 'a.test' } };
      const { wellKnown, connections } = resolver();
      for (const host of ['remote.test', 'other.test', 'big.test']) expect(await wellKnown.lookup(host), host).to.equal(undefined);
      await connections.close();
    });

    it('retries an unavailable well-known after 2 minutes, doubling, and keeps the last delegation meanwhile', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' }, headers: { 'cache-control': 'max-age=60' } };
      const { wellKnown, connections } = resolver();
      expect(await wellKnown.lookup('remote.test')).to.equal('a.test');
      answers[`remote.test${path}`] = { status: 502, body: {} };
      now += 61_000;
      expect(await wellKnown.lookup('remote.test'), 'the last delegation survives an outage').to.equal('a.test');
      expect(hits()).to.equal(2);
      now += 2 * 60_000 - 1;
      await wellKnown.lookup('remote.test');
      expect(hits()).to.equal(2);
      now += 2;
      await wellKnown.lookup('remote.test');
      expect(hits(), 'asked again after 2 minutes').to.equal(3);
      now += 4 * 60_000 - 1;
      await wellKnown.lookup('remote.test');
      expect(hits(), 'then after 4').to.equal(3);
      now += 2;
      await wellKnown.lookup('remote.test');
      expect(hits()).to.equal(4);
      await connections.close();
    });

    it('follows redirects, but not loops, nor more than 5', async () => {
      answers[`remote.test${path}`] = { status: 302, headers: { location: `https://other.test:${server.port}/elsewhere` } };
      answers['other.test/elsewhere'] = { status: 301, headers: { location: '/final' } };
      answers['other.test/final'] = { body: { 'm.server': 'a.test' } };
      answers[`loop.test${path}`] = { status: 307, headers: { location: path } };
      for (let i = 0; i < 6; i++) answers[`big.test/${i}`] = { status: 302, headers: { location: `/${i + 1}` } };
      answers[`big.test${path}`] = { status: 302, headers: { location: '/0' } };
      answers['big.test/6'] = { body: { 'm.server': 'a.test' } };
      const { wellKnown, connections } = resolver();
      expect(await wellKnown.lookup('remote.test')).to.equal('a.test');
      expect(await wellKnown.lookup('loop.test')).to.equal(undefined);
      expect(await wellKnown.lookup('big.test')).to.equal(undefined);
      expect(server.received.filter((r) => r.headers.host?.startsWith('big.test')).map((r) => r.url)).to.have.length(6);
      await connections.close();
    });

    it('refuses a body over 50 kB', async () => {
      answers[`big.test${path}`] = { raw: JSON.stringify({ 'm.server': 'a.test', padding: 'x'.repeat(51 * 1024) }) };
      const { wellKnown, connections } = resolver();
      expect(await wellKnown.lookup('big.test')).to.equal(undefined);
      await connections.close();
    });

    it('goes through the IP deny list: a deny-listed host is not asked', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' } };
      const { wellKnown, connections } = resolver({ allowList: [] });
      expect(await wellKnown.lookup('remote.test')).to.equal(undefined);
      expect(hits()).to.equal(0);
      await connections.close();
    });

    it('shares one fetch between concurrent lookups', async () => {
      answers[`remote.test${path}`] = { body: { 'm.server': 'a.test' } };
      const { wellKnown, connections } = resolver();
      const results = await Promise.all([wellKnown.lookup('remote.test'), wellKnown.lookup('remote.test')]);
      expect(results).to.deep.equal(['a.test', 'a.test']);
      expect(hits()).to.equal(1);
      await connections.close();
    });
  });
});
