/**
 * Keys of other servers' users, asked of their servers (server-server-api "End-to-End Encryption":
 * POST /user/keys/query and /user/keys/claim) when a local client asks for them (client-server-api
 * /keys/query, /keys/claim). One request per server, all at once, each bounded by the client's
 * `timeout`; a server that does not answer is named in `failures`.
 *
 * Nothing is cached: every query asks the user's server, so an answer is never staler than that
 * server's, and /sync device_lists learns of changes from the m.device_list_update and
 * m.signing_key_update EDUs (federation/edus/device-list-edu.ts) and from shared-room changes.
 *
 * Answers are checked before a client sees them: only users and devices that were asked for and
 * belong to the answering server; device keys naming their user and device and self-signed by the
 * device's ed25519 key; cross-signing keys of the right user and usage, the self-signing key signed
 * by the master key. Anything else is left out, as if the server had not known it.
 */
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { verifyJsonSignature } from '../../core/crypto/sign-json.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { FederationRequest } from '../../federation-client/federation-client.ts';
import type { KeyObject } from '../../storage/repositories/e2ee-keys.ts';

/** The part of the federation client this service needs (FederationClient fits it). */
export interface KeysRequester {
  request<T>(request: FederationRequest): Promise<{ status: number; json: T }>;
}

/** client-server-api keys.yaml `failures`: unreachable server → what went wrong. */
export type Failures = Record<string, { status: number; message: string }>;

/** keys.yaml: "10 seconds is the recommended default". */
export const defaultKeysTimeoutMs = 10_000;
const minTimeoutMs = 1_000;
const maxTimeoutMs = 60_000;

export interface RemoteKeysQueryResult {
  device_keys: Record<string, Record<string, KeyObject>>;
  master_keys: Record<string, KeyObject>;
  self_signing_keys: Record<string, KeyObject>;
  failures: Failures;
}

export interface RemoteKeysClaimResult {
  one_time_keys: Record<string, Record<string, Record<string, unknown>>>;
  failures: Failures;
}

export class RemoteDeviceKeys {
  constructor(private readonly requester: KeysRequester) {}

  /** Device keys and master and self-signing keys of these remote users (all their devices, or the listed ones). */
  async query(query: Record<string, string[]>, timeoutMs = defaultKeysTimeoutMs): Promise<RemoteKeysQueryResult> {
    const result: RemoteKeysQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: {} };
    await this.perServer(query, result.failures, async (server, asked) => {
      const answer = await this.ask(server, '/_matrix/federation/v1/user/keys/query', { device_keys: asked }, timeoutMs);
      const checked = checkKeysQueryAnswer(answer, asked);
      Object.assign(result.device_keys, checked.device_keys);
      Object.assign(result.master_keys, checked.master_keys);
      Object.assign(result.self_signing_keys, checked.self_signing_keys);
    });
    return result;
  }

  /** One key per device asked for (one-time key, else fallback key), as the devices' servers hand them out. */
  async claim(query: Record<string, Record<string, string>>, timeoutMs = defaultKeysTimeoutMs): Promise<RemoteKeysClaimResult> {
    const result: RemoteKeysClaimResult = { one_time_keys: {}, failures: {} };
    await this.perServer(query, result.failures, async (server, asked) => {
      const answer = await this.ask(server, '/_matrix/federation/v1/user/keys/claim', { one_time_keys: asked }, timeoutMs);
      Object.assign(result.one_time_keys, checkKeysClaimAnswer(answer, asked));
    });
    return result;
  }

  /** Runs `work` for each server's part of `query` at once; a server whose part fails is recorded in `failures`. */
  private async perServer<T>(query: Record<string, T>, failures: Failures, work: (server: string, asked: Record<string, T>) => Promise<void>): Promise<void> {
    const byServer = new Map<string, Record<string, T>>();
    for (const [userId, value] of Object.entries(query)) {
      const server = serverNameOf(userId as UserId);
      if (server === undefined) continue;
      byServer.set(server, { ...byServer.get(server), [userId]: value });
    }
    await Promise.all(
      [...byServer].map(([server, asked]) =>
        work(server, asked).catch((error: unknown) => {
          failures[server] = describeFailure(error);
        }),
      ),
    );
  }

  private async ask(server: string, path: string, body: JsonObject, timeoutMs: number): Promise<unknown> {
    // A client's 0 would fail every server before it could answer; a minute is the federation client's own bound.
    const bounded = Math.min(Math.max(timeoutMs, minTimeoutMs), maxTimeoutMs);
    return (await this.requester.request<unknown>({ method: 'POST', destination: server, path, body, signed: true, timeoutMs: bounded })).json;
  }
}

/** What a client is told of a server that did not answer: a status, as Synapse gives, and no remote internals. */
function describeFailure(error: unknown): { status: number; message: string } {
  const { reason, status } = error as { reason?: string; status?: number };
  if (reason === 'timeout') return { status: 504, message: 'The server did not answer in time' };
  if (reason === 'http' && status !== undefined) return { status, message: `The server answered with HTTP ${status}` };
  return { status: 503, message: 'The server could not be reached' };
}

/** user_keys.yaml /user/keys/query answer, reduced to what was asked and checks out. */
export function checkKeysQueryAnswer(answer: unknown, asked: Record<string, readonly string[]>): Omit<RemoteKeysQueryResult, 'failures'> {
  const result: Omit<RemoteKeysQueryResult, 'failures'> = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
  if (!isJsonObject(answer)) return result;
  const field = (name: string) => (isJsonObject(answer[name]) ? answer[name] : {});
  const deviceKeys = field('device_keys');
  const masterKeys = field('master_keys');
  const selfSigningKeys = field('self_signing_keys');
  for (const [userId, devices] of Object.entries(asked)) {
    const byDevice = deviceKeys[userId];
    if (isJsonObject(byDevice)) {
      result.device_keys[userId] = Object.fromEntries(
        Object.entries(byDevice).filter(([deviceId, keys]) => (devices.length === 0 || devices.includes(deviceId)) && isSelfSignedDevice(keys, userId, deviceId)),
      ) as Record<string, KeyObject>;
    }
    const master = masterKeys[userId];
    const masterPublicKey = crossSigningPublicKey(master, userId, 'master');
    if (masterPublicKey === undefined) continue;
    result.master_keys[userId] = master as KeyObject;
    const selfSigning = selfSigningKeys[userId];
    if (crossSigningPublicKey(selfSigning, userId, 'self_signing') !== undefined && verifyJsonSignature(selfSigning as KeyObject, userId, `ed25519:${masterPublicKey}`, masterPublicKey)) {
      result.self_signing_keys[userId] = selfSigning as KeyObject;
    }
  }
  return result;
}

/** user_keys.yaml /user/keys/claim answer: at most one key of the asked algorithm per asked device. */
export function checkKeysClaimAnswer(answer: unknown, asked: Record<string, Record<string, string>>): RemoteKeysClaimResult['one_time_keys'] {
  const result: RemoteKeysClaimResult['one_time_keys'] = {};
  const oneTimeKeys = isJsonObject(answer) && isJsonObject(answer.one_time_keys) ? answer.one_time_keys : {};
  for (const [userId, devices] of Object.entries(asked)) {
    const byDevice = oneTimeKeys[userId];
    if (!isJsonObject(byDevice)) continue;
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const keys = byDevice[deviceId];
      if (!isJsonObject(keys)) continue;
      const found = Object.entries(keys).find(([keyId, key]) => keyId.startsWith(`${algorithm}:`) && keyId.length > algorithm.length + 1 && (typeof key === 'string' || isJsonObject(key)));
      if (found) (result[userId] ??= {})[deviceId] = { [found[0]]: found[1] };
    }
  }
  return result;
}

/** definitions/device_keys.yaml: the device's own keys, naming it, signed by its ed25519 key. */
function isSelfSignedDevice(keys: unknown, userId: string, deviceId: string): keys is KeyObject {
  if (!isJsonObject(keys) || keys.user_id !== userId || keys.device_id !== deviceId || !Array.isArray(keys.algorithms) || !isJsonObject(keys.keys)) return false;
  const keyId = `ed25519:${deviceId}`;
  const publicKey = keys.keys[keyId];
  return typeof publicKey === 'string' && verifyJsonSignature(keys, userId, keyId, publicKey);
}

/**
 * definitions/cross_signing_key.yaml: the public key of a key of the user with `usage` among its
 * usages and exactly one `ed25519:<public key>` entry; undefined for anything else.
 */
function crossSigningPublicKey(key: unknown, userId: string, usage: string): string | undefined {
  if (!isJsonObject(key) || key.user_id !== userId || !Array.isArray(key.usage) || !key.usage.includes(usage) || !isJsonObject(key.keys)) return undefined;
  const entries = Object.entries(key.keys);
  const [entry] = entries;
  if (entries.length !== 1 || !entry || typeof entry[1] !== 'string' || entry[0] !== `ed25519:${entry[1]}`) return undefined;
  return entry[1];
}
