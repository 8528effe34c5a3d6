/**
 * How long `/.well-known/matrix/server` answers are kept (server-server-api "Resolving server names", step 3):
 * "Responses (successful or otherwise) ... should be cached", respecting cache control headers with a default
 * of 24 hours and a maximum of 48 hours; "Errors are recommended to be cached for up to an hour, and servers
 * are encouraged to exponentially back off for repeated failures."
 *
 * Errors come in two kinds. An `invalid` answer (a 404, bad JSON, a bad `m.server`) is the server's considered
 * reply, kept for the full hour. An `unavailable` one (no connection, timeout, 5xx) may be a blip, so it is
 * kept 2 minutes, doubling with each consecutive failure up to the hour; and while a host is unavailable the
 * delegation it last gave keeps being used, so an outage of the well-known host does not re-route federation.
 */
import type { LRUCache } from 'lru-cache';
import { lru } from '../util/lru.ts';

export type WellKnownFailure = 'invalid' | 'unavailable';

export const wellKnownDefaultLifetimeMs = 24 * 3_600_000;
export const wellKnownMaxLifetimeMs = 48 * 3_600_000;
export const wellKnownInvalidLifetimeMs = 3_600_000;
export const wellKnownFirstUnavailableLifetimeMs = 2 * 60_000;

type Entry = {
  /** The delegated server name served while fresh; undefined for a cached error. */
  delegatedServerName: string | undefined;
  expiresAt: number;
  consecutiveFailures: number;
  /** The last delegation a successful answer gave, kept through `unavailable` failures. */
  lastDelegation: string | undefined;
};

export class WellKnownCache {
  // Entries outlive their freshness so the failure count and last delegation survive until the next answer.
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    private readonly clock: () => number,
    maxEntries = 10_000,
  ) {
    this.entries = lru(maxEntries);
  }

  /** The fresh cached answer for `hostname` (`delegatedServerName` undefined: cached error), or undefined. */
  get(hostname: string): { delegatedServerName: string | undefined } | undefined {
    const entry = this.entries.get(hostname);
    if (!entry || entry.expiresAt <= this.clock()) return undefined;
    return { delegatedServerName: entry.delegatedServerName };
  }

  storeSuccess(hostname: string, delegatedServerName: string, lifetimeMs: number): void {
    const expiresAt = this.clock() + Math.min(Math.max(lifetimeMs, 0), wellKnownMaxLifetimeMs);
    this.entries.set(hostname, { delegatedServerName, expiresAt, consecutiveFailures: 0, lastDelegation: delegatedServerName });
  }

  /** Records a failure; returns what to use meanwhile (the last delegation through an outage, else undefined). */
  storeFailure(hostname: string, failure: WellKnownFailure): string | undefined {
    const previous = this.entries.get(hostname);
    const consecutiveFailures = (previous?.consecutiveFailures ?? 0) + 1;
    const lifetimeMs = failure === 'invalid'
      ? wellKnownInvalidLifetimeMs
      : Math.min(wellKnownInvalidLifetimeMs, wellKnownFirstUnavailableLifetimeMs * 2 ** (consecutiveFailures - 1));
    const lastDelegation = failure === 'unavailable' ? previous?.lastDelegation : undefined;
    this.entries.set(hostname, { delegatedServerName: lastDelegation, expiresAt: this.clock() + lifetimeMs, consecutiveFailures, lastDelegation });
    return lastDelegation;
  }
}

/**
 * The lifetime a successful answer asks for (RFC 9111): `no-store`/`no-cache` none, else `max-age`, else
 * `Expires` minus now (an unparseable date means already expired), else the spec's 24 hour default.
 * WellKnownCache caps it at 48 hours.
 */
export function cacheLifetimeMs(headers: { cacheControl?: string; expires?: string }, now: number): number {
  const directives = (headers.cacheControl ?? '').split(',').map((directive) => directive.trim().toLowerCase());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache')) return 0;
  const maxAge = directives.map((directive) => /^max-age\s*=\s*"?(\d+)"?$/.exec(directive)).find((match) => match !== null);
  if (maxAge) return Number(maxAge[1]) * 1000;
  if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    return Number.isNaN(expires) ? 0 : Math.max(expires - now, 0);
  }
  return wellKnownDefaultLifetimeMs;
}
