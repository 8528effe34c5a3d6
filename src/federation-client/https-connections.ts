/**
 * The one way the federation client opens connections, for federation requests and `.well-known` lookups
 * alike (server-server-api "TLS"): resolve the host with the injected DNS, refuse the name if any address is
 * deny-listed (as Synapse does: a name mixing internal and public addresses is not followed), connect to the
 * checked address itself (so a second lookup cannot rebind it), and verify the certificate against the name
 * discovery chose, which is also the SNI (none for an IP address, as the spec asks).
 *
 * Connections are pooled per (address to connect, port, TLS name, Host header): a pool keyed by address
 * alone could hand a connection verified for one name to a request for another.
 */
import { isIP } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { lru } from '../util/lru.ts';
import type { DnsResolver, ResolvedAddress } from './dns-resolver.ts';
import type { IpAddressFilter } from './ip-ranges.ts';

/** Where to connect and which name the certificate must prove. */
export type ConnectionTarget = {
  /** A hostname (looked up through DNS) or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** The name the certificate must be valid for, sent as SNI unless it is an IP address. */
  tlsServerName: string;
};

export type ConnectionFailure = 'resolution' | 'ip_denied' | 'network' | 'tls' | 'timeout';

/** A failure before any HTTP was exchanged; the client turns it into a FederationRequestError. */
export class ConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

export type HttpsConnectionsOptions = {
  dns: DnsResolver;
  addressFilter: IpAddressFilter;
  /** federation_verify_certificates: false accepts any certificate (test networks only). */
  verifyCertificates: boolean;
  /** PEM texts of extra trusted authorities (federation_custom_ca_list), added to Node's default roots. */
  caCertificates: readonly string[];
  /** Per address tried; default 10 s. */
  connectTimeoutMs?: number;
};

const defaultConnectTimeoutMs = 10_000;
// Enough pools for every destination a busy server talks to; an evicted pool finishes its requests, then closes.
const maxPools = 2_048;

export class HttpsConnections {
  private readonly pools = lru<string, Pool>(maxPools, {
    dispose: (pool, _key, reason) => {
      if (reason === 'evict') pool.close().catch(() => {});
    },
  });
  private readonly ca: string[] | undefined;

  constructor(private readonly options: HttpsConnectionsOptions) {
    const defaults = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates?.('default') ?? tls.rootCertificates;
    this.ca = options.caCertificates.length > 0 ? [...defaults, ...options.caCertificates] : undefined;
  }

  /** The pool for `target`, sending `hostHeader` as Host (which undici also keys its SNI bookkeeping on). */
  pool(target: ConnectionTarget, hostHeader: string): Dispatcher {
    const key = [target.host, target.port, target.tlsServerName, hostHeader].join('\n');
    let pool = this.pools.get(key);
    if (!pool) {
      const urlHost = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
      pool = new Pool(`https://${urlHost}:${target.port}`, { connect: (_options, callback) => {
        this.connect(target).then((socket) => callback(null, socket), (error: Error) => callback(error, null));
      } });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => {})));
  }

  private async connect(target: ConnectionTarget): Promise<TLSSocket> {
    const addresses = await this.addressesOf(target.host);
    const denied = addresses.filter(({ address }) => !this.options.addressFilter.isAllowed(address));
    if (denied.length > 0) {
      throw new ConnectionError('ip_denied', `${target.host} resolves to ${denied.map((a) => a.address).join(', ')}, refused by ip_range_blacklist`);
    }
    let lastError: unknown;
    for (const { address } of addresses) {
      try {
        return await this.connectTls(address, target);
      } catch (error) {
        lastError = error;
        // A certificate problem is the server's answer, not the address's: another address will not differ.
        if (error instanceof ConnectionError && error.reason === 'tls') throw error;
      }
    }
    throw lastError;
  }

  private async addressesOf(host: string): Promise<ResolvedAddress[]> {
    const family = isIP(host);
    if (family !== 0) return [{ address: host, family: family as 4 | 6 }];
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.options.dns.lookup(host);
    } catch (error) {
      throw new ConnectionError('resolution', `cannot resolve ${host}: ${(error as Error).message}`, { cause: error });
    }
    if (addresses.length === 0) throw new ConnectionError('resolution', `${host} has no address`);
    return addresses;
  }

  private connectTls(address: string, target: ConnectionTarget): Promise<TLSSocket> {
    const { tlsServerName } = target;
    const verify = this.options.verifyCertificates;
    return new Promise((resolve, reject) => {
      let tcpConnected = false;
      const socket = tls.connect({
        host: address,
        port: target.port,
        servername: isIP(tlsServerName) === 0 ? tlsServerName : undefined,
        ca: this.ca,
        rejectUnauthorized: verify,
        // Verify against the discovered name, not the address connected to.
        checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(tlsServerName, certificate),
        ALPNProtocols: ['http/1.1'],
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError('timeout', `connecting to ${address}:${target.port} timed out`));
      }, this.options.connectTimeoutMs ?? defaultConnectTimeoutMs);
      socket.once('connect', () => (tcpConnected = true));
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        const where = `${address}:${target.port} (${tlsServerName})`;
        reject(tcpConnected
          ? new ConnectionError('tls', `TLS with ${where} failed: ${error.message}`, { cause: error })
          : new ConnectionError('network', `cannot connect to ${where}: ${error.message}`, { cause: error }));
      });
    });
  }
}
