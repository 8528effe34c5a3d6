/**
 * Server name resolution (server-server-api "Resolving server names"): which host and port to connect to,
 * which `Host` header to send and which name the certificate must prove, following the spec's steps in order.
 * Addresses are not looked up here: the connection does that, so the IP deny list sees every address it uses.
 */
import { splitServerName, type ServerNameParts } from '../core/ids/server-name.ts';
import { isNoRecordError, type DnsResolver, type SrvRecord } from './dns-resolver.ts';

export type ResolvedServer = {
  /** The hostname or IP literal (IPv6 without brackets) to connect to. */
  host: string;
  port: number;
  /** The `Host` header to send. */
  hostHeader: string;
  /** The name the certificate must be valid for, and the SNI unless it is an IP address. */
  tlsServerName: string;
};

export type DiscoveryDependencies = {
  dns: DnsResolver;
  /** The `m.server` of `https://<hostname>/.well-known/matrix/server`, or undefined on any error (cached by the caller). */
  wellKnown: (hostname: string) => Promise<string | undefined>;
  /** In [0, 1), for the weighted choice among SRV records (RFC 2782); default Math.random. */
  random?: () => number;
};

export const defaultFederationPort = 8448;

/** Thrown when `serverName` is invalid or its DNS answers make it unreachable. */
export class ServerDiscoveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerDiscoveryError';
  }
}

export async function resolveServerName(serverName: string, deps: DiscoveryDependencies): Promise<ResolvedServer> {
  const parts = splitServerName(serverName);
  if (!parts) throw new ServerDiscoveryError(`${JSON.stringify(serverName)} is not a valid server name`);
  // Steps 1 and 2: an IP literal, or a hostname with an explicit port; the Host header is the server name.
  const direct = resolveLiteralOrExplicitPort(parts, serverName);
  if (direct) return direct;
  // Step 3: `.well-known` delegation, resolved by its own sub-steps (never by another well-known).
  const delegated = await deps.wellKnown(parts.host);
  const delegatedParts = delegated === undefined ? undefined : splitServerName(delegated);
  if (delegated !== undefined && delegatedParts) {
    // 3.1 and 3.2: "Requests must be made with a Host header containing the IP address, including the port
    // if one was provided" / "of <delegated_hostname>:<delegated_port>": the delegated server name as given.
    const delegatedDirect = resolveLiteralOrExplicitPort(delegatedParts, delegated);
    if (delegatedDirect) return delegatedDirect;
    // 3.3 to 3.5: SRV for the delegated hostname, then port 8448; Host and certificate name the delegated hostname.
    return resolveBySrv(delegatedParts.host, deps);
  }
  // Steps 4 to 6: no usable well-known: SRV for the hostname itself, then port 8448.
  return resolveBySrv(parts.host, deps);
}

function resolveLiteralOrExplicitPort(parts: ServerNameParts, name: string): ResolvedServer | undefined {
  if (parts.kind !== 'dns') {
    const ip = parts.host.replace(/^\[(.*)\]$/, '$1');
    return { host: ip, port: parts.port ?? defaultFederationPort, hostHeader: name, tlsServerName: ip };
  }
  if (parts.port !== undefined) return { host: parts.host, port: parts.port, hostHeader: name, tlsServerName: parts.host };
  return undefined;
}

async function resolveBySrv(hostname: string, deps: DiscoveryDependencies): Promise<ResolvedServer> {
  // `_matrix-fed._tcp` (added in v1.8), then the deprecated `_matrix._tcp` only when the first has no record.
  for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
    const records = await lookupSrv(`${service}.${hostname}`, deps.dns);
    if (records.length === 0) continue;
    const chosen = chooseSrvRecord(records, deps.random ?? Math.random);
    // RFC 2782: a lone target of "." means the service is decidedly not available at this domain.
    if (!chosen) throw new ServerDiscoveryError(`${service}.${hostname} says the service is not available`);
    return { host: chosen.name.replace(/\.$/, ''), port: chosen.port, hostHeader: hostname, tlsServerName: hostname };
  }
  return { host: hostname, port: defaultFederationPort, hostHeader: hostname, tlsServerName: hostname };
}

async function lookupSrv(name: string, dns: DnsResolver): Promise<SrvRecord[]> {
  try {
    return await dns.resolveSrv(name);
  } catch (error) {
    if (isNoRecordError(error)) return [];
    // A failing resolver is not an answer: falling through to port 8448 could reach the wrong server.
    throw new ServerDiscoveryError(`SRV lookup of ${name} failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * RFC 2782 selection: the lowest priority wins; among equals, a random choice weighted by `weight` (all
 * weights zero: uniform). Records whose target is "." are skipped; undefined when only such records remain.
 */
export function chooseSrvRecord(records: readonly SrvRecord[], random: () => number): SrvRecord | undefined {
  const usable = records.filter((record) => record.name !== '.' && record.name !== '');
  if (usable.length === 0) return undefined;
  const priority = Math.min(...usable.map((record) => record.priority));
  const candidates = usable.filter((record) => record.priority === priority);
  const totalWeight = candidates.reduce((sum, record) => sum + record.weight, 0);
  if (totalWeight === 0) return candidates[Math.floor(random() * candidates.length)];
  let point = random() * totalWeight;
  for (const record of candidates) {
    point -= record.weight;
    if (point < 0) return record;
  }
  return candidates.at(-1);
}
