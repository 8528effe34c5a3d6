/**
 * `GET https://<hostname>/.well-known/matrix/server` (server-server-api "Resolving server names" step 3 and
 * the wellknown API): through the same connections as federation requests (certificate verification, IP deny
 * list), following up to 5 redirects without loops and only to https, reading at most 50 kB, answers cached
 * by WellKnownCache. Concurrent lookups of one hostname share a single fetch.
 */
import { isServerName } from '../core/ids/server-name.ts';
import { isJsonObject } from '../core/canonical-json.ts';
import type { HttpsConnections } from './https-connections.ts';
import { discardBody, readBodyWithLimit } from './read-body.ts';
import { cacheLifetimeMs, WellKnownCache, type WellKnownFailure } from './well-known-cache.ts';

export const wellKnownMaxBytes = 50 * 1024;
export const wellKnownMaxRedirects = 5;
const defaultTimeoutMs = 10_000;

type Outcome = { delegatedServerName: string; lifetimeMs: number } | { failure: WellKnownFailure };

export class WellKnownResolver {
  private readonly cache: WellKnownCache;
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly options: {
      connections: HttpsConnections;
      clock: () => number;
      timeoutMs?: number;
      /** 443, as `https://<hostname>/` means; tests serve the well-known on a port of their own. */
      port?: number;
    },
  ) {
    this.cache = new WellKnownCache(options.clock);
  }

  /** The `m.server` delegated server name of `hostname`, or undefined when its well-known gives none. */
  lookup(hostname: string): Promise<string | undefined> {
    const cached = this.cache.get(hostname);
    if (cached) return Promise.resolve(cached.delegatedServerName);
    let pending = this.inFlight.get(hostname);
    if (!pending) {
      pending = this.fetchAndCache(hostname).finally(() => this.inFlight.delete(hostname));
      this.inFlight.set(hostname, pending);
    }
    return pending;
  }

  private async fetchAndCache(hostname: string): Promise<string | undefined> {
    const outcome = await this.fetch(hostname);
    if ('failure' in outcome) return this.cache.storeFailure(hostname, outcome.failure);
    this.cache.storeSuccess(hostname, outcome.delegatedServerName, outcome.lifetimeMs);
    return outcome.delegatedServerName;
  }

  private async fetch(hostname: string): Promise<Outcome> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.options.timeoutMs ?? defaultTimeoutMs);
    try {
      const port = this.options.port === undefined || this.options.port === 443 ? '' : `:${this.options.port}`;
      let url = new URL(`https://${hostname}${port}/.well-known/matrix/server`);
      const visited = new Set<string>();
      for (let redirects = 0; ; redirects++) {
        visited.add(url.href);
        const response = await this.get(url, abort.signal);
        if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location !== undefined) {
          discardBody(response.body);
          const next = new URL(String(response.headers.location), url);
          // "redirection loops should be avoided"; and a downgrade to plain http would drop certificate checks.
          if (redirects >= wellKnownMaxRedirects || visited.has(next.href) || next.protocol !== 'https:') return { failure: 'invalid' };
          url = next;
          continue;
        }
        if (response.statusCode !== 200) {
          discardBody(response.body);
          return { failure: response.statusCode >= 500 || response.statusCode === 429 ? 'unavailable' : 'invalid' };
        }
        const text = await readBodyWithLimit(response.body, response.headers, wellKnownMaxBytes);
        if (text === undefined) return { failure: 'invalid' };
        const delegatedServerName = parseDelegation(text);
        if (delegatedServerName === undefined) return { failure: 'invalid' };
        const header = (name: string) => (typeof response.headers[name] === 'string' ? (response.headers[name] as string) : undefined);
        return { delegatedServerName, lifetimeMs: cacheLifetimeMs({ cacheControl: header('cache-control'), expires: header('expires') }, this.options.clock()) };
      }
    } catch (error) {
      // A refused address is a lasting property of the name; connection failures and timeouts may pass.
      return { failure: (error as { reason?: unknown }).reason === 'ip_denied' ? 'invalid' : 'unavailable' };
    } finally {
      clearTimeout(timer);
    }
  }

  private get(url: URL, signal: AbortSignal) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? 443 : Number(url.port);
    const pool = this.options.connections.pool({ host, port, tlsServerName: host }, url.host);
    return pool.request({ method: 'GET', path: `${url.pathname}${url.search}`, headers: { host: url.host, accept: 'application/json' }, signal });
  }
}

/** `m.server` of a well-known body if it is a valid server name; "should assume that the body is JSON regardless of type". */
function parseDelegation(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const delegated = isJsonObject(body) ? body['m.server'] : undefined;
  return typeof delegated === 'string' && isServerName(delegated) ? delegated : undefined;
}
