/**
 * Device keys for end-to-end encryption (client-server-api "End-to-End Encryption": /keys/upload,
 * /keys/query, /keys/claim). The server only stores and hands out public keys; it never sees a
 * private key or a plaintext. A change of a user's device keys advances the device_lists stream.
 */
import { MatrixError } from '../../core/errors.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { KeyObject } from '../../storage/repositories/e2ee-keys.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ServerEvents } from '../server-events.ts';
import type { CrossSigning } from './cross-signing.ts';
import { commitDeviceListChange, deviceListChanges, type DeviceListChanges, type DeviceListPositions } from './device-lists.ts';
import { lru } from '../../util/lru.ts';
import { defaultKeysTimeoutMs, type Failures, type RemoteDeviceKeys } from './remote-device-keys.ts';

export interface KeysUpload {
  device_keys?: KeyObject & { user_id: string; device_id: string };
  one_time_keys?: Record<string, unknown>;
  fallback_keys?: Record<string, unknown>;
}

interface KeyCounts {
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
}

export class DeviceKeys {
  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly crossSigning: CrossSigning,
    private readonly serverName: string,
    /** Keys of other servers' users; without it (a server that does not federate) they are failures. */
    private readonly remote?: RemoteDeviceKeys,
  ) {
    // Removing a device removes its keys; a device ID logged in again must start from nothing.
    events.on('deviceLists', ({ userId }) => this.forgetCounts(userId));
  }

  /**
   * Key counts by user and device, for /sync, which reports them on every response. Uploads, claims
   * and device list changes drop the user's entry after they commit; the generation keeps a read that
   * raced with one from caching the old counts.
   */
  private readonly counts = lru<string, Map<string, KeyCounts>>(20_000);
  private countsGeneration = 0;

  private forgetCounts(userId: string): void {
    this.countsGeneration++;
    this.counts.delete(userId);
  }

  async upload(requester: Requester, upload: KeysUpload): Promise<{ one_time_key_counts: Record<string, number> }> {
    const { userId, deviceId } = requester;
    const deviceKeys = upload.device_keys;
    if (deviceKeys && (deviceKeys.user_id !== userId || deviceKeys.device_id !== deviceId)) {
      throw new MatrixError('M_INVALID_PARAM', 'device_keys must name the user and device of the access token');
    }
    const oneTimeKeys = splitKeyIds(upload.one_time_keys ?? {});
    const fallbackKeys = splitKeyIds(upload.fallback_keys ?? {});
    if (new Set(fallbackKeys.map((k) => k.algorithm)).size !== fallbackKeys.length) throw new MatrixError('M_INVALID_PARAM', 'At most one fallback key per algorithm');

    await commitDeviceListChange(this.storage, this.events, userId, async (tx) => {
      for (const key of oneTimeKeys) {
        const existing = await tx.e2eeKeys.oneTimeKey(userId, deviceId, key.algorithm, key.keyId);
        if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(key.key)) {
          throw new MatrixError('M_INVALID_PARAM', `One-time key ${key.algorithm}:${key.keyId} already exists with different content`);
        }
      }
      await tx.e2eeKeys.addOneTimeKeys(userId, deviceId, oneTimeKeys);
      for (const key of fallbackKeys) await tx.e2eeKeys.setFallbackKey(userId, deviceId, key.algorithm, key.keyId, key.key);
      // Only new or different device keys are a device list change; key counts are the device's own business.
      if (!deviceKeys || JSON.stringify(await tx.e2eeKeys.deviceKeys(userId, deviceId)) === JSON.stringify(deviceKeys)) return false;
      await tx.e2eeKeys.setDeviceKeys(userId, deviceId, deviceKeys);
      return true;
    }, { deviceIds: [deviceId] }).finally(() => this.forgetCounts(userId));
    return { one_time_key_counts: await this.storage.e2eeKeys.oneTimeKeyCounts(userId, deviceId) };
  }

  /**
   * Device keys of local users, with their signatures and each device's display name in `unsigned`,
   * and the users' cross-signing keys as the requester may see them; those of other servers' users
   * as their servers tell (remote-device-keys.ts), within `timeoutMs`.
   */
  async query(requesterId: string, query: Record<string, string[]>, timeoutMs = defaultKeysTimeoutMs): Promise<Record<string, unknown> & { device_keys: Record<string, Record<string, KeyObject>>; failures: Failures }> {
    const { local, remote } = this.partition(query);
    const [localKeys, remoteKeys] = await Promise.all([this.queryLocal(requesterId, local), this.remoteQuery(remote, timeoutMs)]);
    return {
      ...localKeys,
      device_keys: { ...localKeys.device_keys, ...remoteKeys.device_keys },
      master_keys: { ...localKeys.master_keys, ...(await this.crossSigning.withRequesterSignatures(requesterId, remoteKeys.master_keys)) },
      self_signing_keys: { ...localKeys.self_signing_keys, ...remoteKeys.self_signing_keys },
      failures: remoteKeys.failures,
    };
  }

  /** Claims one one-time key per requested device, falling back to the device's fallback key. */
  async claim(query: Record<string, Record<string, string>>, timeoutMs = defaultKeysTimeoutMs): Promise<{ one_time_keys: Record<string, Record<string, Record<string, unknown>>>; failures: Failures }> {
    const { local, remote } = this.partition(query);
    const remoteClaim = this.remoteClaim(remote, timeoutMs);
    const one_time_keys: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [userId, devices] of Object.entries(local)) {
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const claimed =
          (await this.storage.e2eeKeys.claimOneTimeKey(userId, deviceId, algorithm)) ?? (await this.storage.e2eeKeys.claimFallbackKey(userId, deviceId, algorithm));
        this.forgetCounts(userId);
        if (claimed) ((one_time_keys[userId] ??= {})[deviceId] ??= {})[claimed.keyId] = claimed.key;
      }
    }
    const { one_time_keys: remoteKeys, failures } = await remoteClaim;
    return { one_time_keys: { ...one_time_keys, ...remoteKeys }, failures };
  }

  private async queryLocal(requesterId: string, query: Record<string, string[]>) {
    const local = Object.keys(query);
    const found = await this.crossSigning.withDeviceSignatures(await this.storage.e2eeKeys.deviceKeysOf(new Map(Object.entries(query))));
    const device_keys: Record<string, Record<string, KeyObject>> = Object.fromEntries(local.map((u) => [u, {}]));
    for (const { userId, deviceId, keys } of found) {
      const device = await this.storage.devices.get(userId, deviceId);
      device_keys[userId]![deviceId] = { ...keys, unsigned: { ...(device?.displayName ? { device_display_name: device.displayName } : {}) } };
    }
    return { device_keys, ...(await this.crossSigning.keysFor(requesterId, local)) };
  }

  private remoteQuery(query: Record<string, string[]>, timeoutMs: number) {
    if (this.remote) return this.remote.query(query, timeoutMs);
    return Promise.resolve({ device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: unreachable(query) });
  }

  private remoteClaim(query: Record<string, Record<string, string>>, timeoutMs: number) {
    if (this.remote) return this.remote.claim(query, timeoutMs);
    return Promise.resolve({ one_time_keys: {}, failures: unreachable(query) });
  }

  /** What /sync reports for a device: unclaimed one-time keys per algorithm and unused fallback key types. */
  async keyCounts(userId: string, deviceId: string): Promise<KeyCounts> {
    const cached = this.counts.get(userId)?.get(deviceId);
    if (cached) return cached;
    const generation = this.countsGeneration;
    const [oneTimeKeyCounts, unusedFallbackKeyTypes] = await Promise.all([
      this.storage.e2eeKeys.oneTimeKeyCounts(userId, deviceId),
      this.storage.e2eeKeys.unusedFallbackKeyTypes(userId, deviceId),
    ]);
    const counts = { oneTimeKeyCounts, unusedFallbackKeyTypes };
    if (generation === this.countsGeneration) {
      const devices = this.counts.get(userId) ?? new Map<string, KeyCounts>();
      this.counts.set(userId, devices.set(deviceId, counts));
    }
    return counts;
  }

  /** Users whose device lists the user must query again between two positions (/sync device_lists, /keys/changes). */
  async listChanges(userId: string, from: DeviceListPositions, to: DeviceListPositions): Promise<DeviceListChanges> {
    return deviceListChanges(this.storage, userId, from, to);
  }

  /** A request's users of this server, and the others. */
  private partition<T>(query: Record<string, T>): { local: Record<string, T>; remote: Record<string, T> } {
    const local: Record<string, T> = {};
    const remote: Record<string, T> = {};
    for (const [userId, value] of Object.entries(query)) {
      if (serverNameOf(userId as UserId) === this.serverName) local[userId] = value;
      else remote[userId] = value;
    }
    return { local, remote };
  }
}

/** Without federation, each other server of a request is a failure. */
function unreachable(query: Record<string, unknown>): Failures {
  const servers = new Set(Object.keys(query).map((userId) => serverNameOf(userId as UserId) ?? userId));
  return Object.fromEntries([...servers].map((server) => [server, { status: 503, message: 'This server does not federate' }]));
}

/** `<algorithm>:<key_id>` keys of an upload, split. */
function splitKeyIds(keys: Record<string, unknown>): Array<{ algorithm: string; keyId: string; key: unknown }> {
  return Object.entries(keys).map(([id, key]) => {
    const colon = id.indexOf(':');
    if (colon <= 0 || colon === id.length - 1) throw new MatrixError('M_INVALID_PARAM', `Key IDs must be <algorithm>:<key_id>, got ${JSON.stringify(id)}`);
    return { algorithm: id.slice(0, colon), keyId: id.slice(colon + 1), key };
  });
}
