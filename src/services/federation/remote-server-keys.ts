/**
 * Other servers' signing keys (server-server-api "Retrieving server keys"): looked up in memory, then
 * in the database, and fetched when we hold no key valid at the time asked about — from the server
 * itself (GET /_matrix/key/v2/server), or, when that fails or does not yield the key, from the
 * configured notaries (POST /_matrix/key/v2/query), whose answers must carry both the server's
 * signatures and the notary's. The stored responses also let this server act as a notary.
 *
 * Validity: a current key is valid up to the lesser of its response's valid_until_ts and 7 days after
 * we fetched it (rooms v5 "Signing key validity period"); an old key up to its expired_ts.
 *
 * Fetches are shared: concurrent lookups of one server wait for one fetch. A server asked once is not
 * asked again for `retryAfterMs` (1 minute), whatever the outcome, so a dead server, or a stream of
 * signatures by made-up key IDs, costs one request a minute. There are two kinds of fetch per server,
 * each shared and throttled on its own: direct (the server only; also how notaries' own keys and our
 * notary answers are fetched) and full (direct, then notaries). A full fetch may wait for direct ones,
 * never the other way round, so no lookup can end up waiting for itself.
 */
import type { FederationRequest } from '../../federation-client/federation-client.ts';
import { lru } from '../../util/lru.ts';
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { checkKeyResponse, type VerifiedKeyResponse } from '../../core/crypto/key-response.ts';
import { signJson, verifyJsonSignature } from '../../core/crypto/sign-json.ts';
import { isServerName } from '../../core/ids/server-name.ts';
import type { Storage } from '../../storage/storage.ts';
import type { ServerKeys } from '../signing-keys/server-keys.ts';

/** The part of the federation client this service needs (FederationClient fits it). */
export interface KeyRequester {
  request<T>(request: FederationRequest): Promise<{ status: number; json: T }>;
}

/** config trusted_key_servers: a notary, with its keys pinned or (without verify_keys) fetched from it. */
export interface TrustedKeyServer {
  server_name: string;
  verify_keys?: Record<string, string>;
}

export interface RemoteServerKeysOptions {
  serverName: string;
  trustedKeyServers: readonly TrustedKeyServer[];
  clock: () => number;
  /** How long a server just asked is not asked again. */
  retryAfterMs?: number;
  requestTimeoutMs?: number;
}

export interface ValidityOptions {
  /**
   * The time the key must be valid at: an event's origin_server_ts (room versions 5 and later), now
   * (the default) for a request. Room versions 1–4 ignore key validity: pass 0.
   */
  validAt?: number;
}

interface KnownKey {
  key: string;
  /** The last time the key is valid at (inclusive). */
  validUntilTs: number;
  expired: boolean;
}

type KnownKeys = ReadonlyMap<string, KnownKey>;

// keys.yaml valid_until_ts: "Servers MUST use the lesser of this field and 7 days into the future".
const maxValidityMs = 7 * 24 * 3600 * 1000;
// Responses read from one notary answer; a longer answer is not an honest one.
const maxNotaryResponses = 20;

export class RemoteServerKeys {
  private readonly known = lru<string, KnownKeys>(10_000);
  private readonly lastAsked = lru<string, number>(10_000);
  private readonly fetching = new Map<string, Promise<void>>();
  /** Counts stores, so a read that raced one is not cached. */
  private generation = 0;
  private readonly retryAfterMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly storage: Storage,
    private readonly serverKeys: ServerKeys,
    private readonly requester: KeyRequester,
    private readonly options: RemoteServerKeysOptions,
  ) {
    this.retryAfterMs = options.retryAfterMs ?? 60_000;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** The unpadded base64 public key `keyId` of `serverName`, or undefined when unknown or not valid at `validAt`. */
  verifyKey(serverName: string, keyId: string, options: ValidityOptions = {}): Promise<string | undefined> {
    return this.lookup(serverName, keyId, options.validAt ?? this.options.clock(), false);
  }

  /** Whether `value` carries a signature of `serverName` by one of its keys valid at `validAt` (now by default). */
  async verifySignedJsonFrom(serverName: string, value: object, options: ValidityOptions = {}): Promise<boolean> {
    const signatures = (value as JsonObject).signatures;
    const own = isJsonObject(signatures) ? signatures[serverName] : undefined;
    if (!isJsonObject(own)) return false;
    for (const keyId of Object.keys(own).filter((id) => id.startsWith('ed25519:')).slice(0, 4)) {
      const key = await this.verifyKey(serverName, keyId, options);
      if (key !== undefined && verifyJsonSignature(value, serverName, keyId, key)) return true;
    }
    return false;
  }

  /**
   * As a notary (POST /_matrix/key/v2/query): the key responses we hold for `serverName`, each signed
   * by us too, fetched from the server first when we hold none valid until `minimumValidUntilTs` (or
   * none for a requested key ID). When the server cannot be reached we answer with what we hold.
   */
  async notaryKeyResponses(serverName: string, criteria: { keyIds?: readonly string[]; minimumValidUntilTs?: number } = {}): Promise<JsonObject[]> {
    if (serverName === this.options.serverName) return [this.serverKeys.keysDocument() as unknown as JsonObject];
    if (!isServerName(serverName)) return [];
    const minimum = criteria.minimumValidUntilTs ?? this.options.clock();
    let rows = await this.storage.remoteServerKeys.listForServer(serverName);
    const fresh = (row: (typeof rows)[number]) => row.expiredTs !== null || row.validUntilTs >= minimum;
    const wanted = criteria.keyIds ?? [];
    const stale = wanted.length > 0 ? wanted.some((id) => !rows.some((row) => row.keyId === id && fresh(row))) : !rows.some((row) => row.expiredTs === null && fresh(row));
    if (stale) {
      await this.fetchDirectOnce(serverName);
      rows = await this.storage.remoteServerKeys.listForServer(serverName);
    }
    const { serverName: ourName } = this.options;
    return [...new Set(rows.map((row) => row.keyJson))].map((json) => signJson(JSON.parse(json) as JsonObject, ourName, this.serverKeys.signingKey));
  }

  private async lookup(serverName: string, keyId: string, validAt: number, directOnly: boolean): Promise<string | undefined> {
    if (serverName === this.options.serverName) return this.ownKey(keyId, validAt);
    if (!isServerName(serverName)) return undefined;
    const found = (await this.keysOf(serverName)).get(keyId);
    if (found && validAt <= found.validUntilTs) return found.key;
    // An old key stays expired: asking again cannot make it valid.
    if (found?.expired) return undefined;
    if (directOnly) await this.fetchDirectOnce(serverName);
    else await this.fetchOnce(`full ${serverName}`, () => this.fetchAnywhere(serverName, keyId, validAt));
    const fetched = (await this.keysOf(serverName)).get(keyId);
    return fetched && validAt <= fetched.validUntilTs ? fetched.key : undefined;
  }

  private ownKey(keyId: string, validAt: number): string | undefined {
    const document = this.serverKeys.keysDocument();
    const current = document.verify_keys[keyId];
    if (current) return current.key;
    const old = document.old_verify_keys[keyId];
    return old && validAt <= old.expired_ts ? old.key : undefined;
  }

  private fetchDirectOnce(serverName: string): Promise<void> {
    return this.fetchOnce(`direct ${serverName}`, () => this.fetchDirect(serverName));
  }

  /** Runs `fetch` unless its slot ran within retryAfterMs; concurrent callers share one run. */
  private fetchOnce(slot: string, fetch: () => Promise<void>): Promise<void> {
    const running = this.fetching.get(slot);
    if (running) return running;
    const asked = this.lastAsked.get(slot);
    if (asked !== undefined && this.options.clock() - asked < this.retryAfterMs) return Promise.resolve();
    this.lastAsked.set(slot, this.options.clock());
    const run = fetch()
      .catch(() => {}) // Remembered through lastAsked; the lookup then finds no valid key.
      .finally(() => this.fetching.delete(slot));
    this.fetching.set(slot, run);
    return run;
  }

  /** The server itself, then each notary in turn until one yields the key valid at `validAt`. */
  private async fetchAnywhere(serverName: string, keyId: string, validAt: number): Promise<void> {
    const hasKey = async () => {
      const key = (await this.keysOf(serverName)).get(keyId);
      return key !== undefined && validAt <= key.validUntilTs;
    };
    await this.fetchDirectOnce(serverName);
    if (await hasKey()) return;
    for (const notary of this.options.trustedKeyServers) {
      if (notary.server_name === serverName) continue;
      try {
        await this.fetchThroughNotary(notary, serverName, keyId, validAt);
        if (await hasKey()) return;
      } catch {
        // An unreachable or dishonest notary: ask the next one.
      }
    }
  }

  private async fetchDirect(serverName: string): Promise<void> {
    const { json } = await this.requester.request<unknown>({ method: 'GET', destination: serverName, path: '/_matrix/key/v2/server', signed: false, timeoutMs: this.timeoutMs });
    await this.store(checkKeyResponse(json, serverName));
  }

  private async fetchThroughNotary(notary: TrustedKeyServer, serverName: string, keyId: string, validAt: number): Promise<void> {
    const body = { server_keys: { [serverName]: { [keyId]: { minimum_valid_until_ts: validAt } } } };
    const { json } = await this.requester.request<{ server_keys?: unknown }>({ method: 'POST', destination: notary.server_name, path: '/_matrix/key/v2/query', body, signed: true, timeoutMs: this.timeoutMs });
    const responses = isJsonObject(json) && Array.isArray(json.server_keys) ? json.server_keys.slice(0, maxNotaryResponses) : [];
    for (const response of responses) {
      if (!isJsonObject(response) || response.server_name !== serverName) continue;
      let verified: VerifiedKeyResponse;
      try {
        verified = checkKeyResponse(response, serverName);
      } catch {
        continue;
      }
      if (await this.signedByNotary(response, notary)) await this.store(verified);
    }
  }

  /** A notary's signature, checked with its pinned keys, or else with keys fetched from the notary itself. */
  private async signedByNotary(response: JsonObject, notary: TrustedKeyServer): Promise<boolean> {
    const name = notary.server_name;
    const signatures = isJsonObject(response.signatures) ? response.signatures[name] : undefined;
    if (!isJsonObject(signatures)) return false;
    for (const keyId of Object.keys(signatures).slice(0, 4)) {
      const key = notary.verify_keys ? notary.verify_keys[keyId] : await this.lookup(name, keyId, this.options.clock(), true);
      if (key !== undefined && verifyJsonSignature(response, name, keyId, key)) return true;
    }
    return false;
  }

  private async store(response: VerifiedKeyResponse): Promise<void> {
    const { serverName, validUntilTs, keys, document } = response;
    await this.storage.remoteServerKeys.storeResponse(
      serverName,
      { validUntilTs, fetchedTs: this.options.clock(), keyJson: JSON.stringify(document) },
      keys.map((key) => ({ keyId: key.keyId, verifyKey: key.key, expiredTs: key.expiredTs })),
    );
    this.generation++;
    this.known.delete(serverName);
  }

  private async keysOf(serverName: string): Promise<KnownKeys> {
    const cached = this.known.get(serverName);
    if (cached) return cached;
    const generation = this.generation;
    const keys = new Map<string, KnownKey>();
    for (const row of await this.storage.remoteServerKeys.listForServer(serverName)) {
      const expired = row.expiredTs !== null;
      const validUntilTs = expired ? row.expiredTs! : Math.min(row.validUntilTs, row.fetchedTs + maxValidityMs);
      keys.set(row.keyId, { key: row.verifyKey, validUntilTs, expired });
    }
    // A response stored while we read may be missing from what we read: do not cache that.
    if (generation === this.generation) this.known.set(serverName, keys);
    return keys;
  }
}
