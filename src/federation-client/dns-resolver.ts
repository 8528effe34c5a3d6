/**
 * The DNS the federation client needs, as an interface so tests (and deployments with their own resolver)
 * can inject it: address lookups (CNAME, AAAA and A, as the spec's resolution steps ask) and SRV records.
 */
import { promises as dns } from 'node:dns';

export type ResolvedAddress = { address: string; family: 4 | 6 };
export type SrvRecord = { name: string; port: number; priority: number; weight: number };

export interface DnsResolver {
  /** Every address of `hostname`; rejects (or returns []) when it has none. */
  lookup(hostname: string): Promise<ResolvedAddress[]>;
  /** The SRV records of `name`; rejects with code ENOTFOUND or ENODATA, or returns [], when there are none. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

/** The system's resolver: getaddrinfo for addresses (follows CNAMEs, honours /etc/hosts), c-ares for SRV. */
export const systemDns: DnsResolver = {
  async lookup(hostname) {
    const results = await dns.lookup(hostname, { all: true, verbatim: true });
    return results.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  },
  resolveSrv: (name) => dns.resolveSrv(name),
};

/** Whether a DNS error only says the name has no such record (as opposed to a failing resolver). */
export function isNoRecordError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN';
}
