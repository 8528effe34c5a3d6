/** An injected DNS for tests: fixed addresses and SRV records, NXDOMAIN (ENOTFOUND) for anything else. */
import type { DnsResolver, ResolvedAddress, SrvRecord } from '../federation-client/dns-resolver.ts';

export type TestDns = DnsResolver & { lookups: string[]; srvQueries: string[] };

export function testDns(records: { hosts?: Record<string, string[]>; srv?: Record<string, SrvRecord[]> }): TestDns {
  const dns: TestDns = {
    lookups: [],
    srvQueries: [],
    lookup(hostname) {
      dns.lookups.push(hostname);
      const addresses = records.hosts?.[hostname];
      if (!addresses) return Promise.reject(notFound(hostname));
      return Promise.resolve(addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
    },
    resolveSrv(name) {
      dns.srvQueries.push(name);
      const answer = records.srv?.[name];
      return answer ? Promise.resolve(answer) : Promise.reject(notFound(name));
    },
  };
  return dns;
}

function notFound(name: string): Error {
  return Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
}
