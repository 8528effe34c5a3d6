/**
 * Local users' devices and end-to-end keys as other servers read them (server-server-api "Device
 * Management" GET /user/devices/{userId}, "End-to-End Encryption" POST /user/keys/query and
 * /user/keys/claim). Only local users are answered: "Requested users must be local to the receiving
 * homeserver"; others in a request are left out, as Synapse does. No user's signatures made with their
 * user-signing key are shown: those are for the signer's own eyes.
 */
import { MatrixError } from '../../core/errors.ts';
import type { KeyObject } from '../../storage/repositories/e2ee-keys.ts';
import type { Storage } from '../../storage/storage.ts';
import type { CrossSigning } from '../e2ee/cross-signing.ts';
import type { DeviceKeys } from '../e2ee/device-keys.ts';

export interface UserDevice {
  device_id: string;
  keys: KeyObject;
  device_display_name?: string;
}

/** The requester whose view of cross-signing signatures a server gets: no local user's. */
const noUser = '';

export class UserKeysForServers {
  constructor(
    private readonly storage: Storage,
    private readonly deviceKeys: DeviceKeys,
    private readonly crossSigning: CrossSigning,
    private readonly serverName: string,
  ) {}

  /**
   * user_devices.yaml: the user's devices that have keys, with the device_lists stream position as the
   * `stream_id` the m.device_list_update EDUs continue from, and the user's master and self-signing keys.
   */
  async devices(userId: string): Promise<{ user_id: string; stream_id: number; devices: UserDevice[]; master_key?: KeyObject; self_signing_key?: KeyObject }> {
    if (!this.isLocal(userId)) throw new MatrixError('M_INVALID_PARAM', 'The user is not hosted on this server');
    // The position is read first: a change committed meanwhile is then announced after it, never lost.
    const streamId = await this.storage.streamCounters.currentPosition('device_lists');
    const keys = await this.crossSigning.withDeviceSignatures(await this.storage.e2eeKeys.deviceKeysOf(new Map([[userId, []]])));
    const names = new Map((await this.storage.devices.list(userId)).map((device) => [device.deviceId, device.displayName]));
    const devices = keys
      .filter(({ deviceId }) => names.has(deviceId))
      .map(({ deviceId, keys: deviceKeys }): UserDevice => {
        const name = names.get(deviceId);
        return { device_id: deviceId, keys: deviceKeys, ...(name ? { device_display_name: name } : {}) };
      })
      .sort((a, b) => (a.device_id < b.device_id ? -1 : 1));
    const crossSigningKeys = await this.crossSigning.keysFor(noUser, [userId]);
    const master = crossSigningKeys.master_keys[userId];
    const selfSigning = crossSigningKeys.self_signing_keys[userId];
    return { user_id: userId, stream_id: streamId, devices, ...(master ? { master_key: master } : {}), ...(selfSigning ? { self_signing_key: selfSigning } : {}) };
  }

  /** user_keys.yaml /user/keys/query: device keys, master and self-signing keys of the local users asked for. */
  async query(deviceKeys: Record<string, string[]>): Promise<{ device_keys: Record<string, Record<string, KeyObject>>; master_keys: Record<string, KeyObject>; self_signing_keys: Record<string, KeyObject> }> {
    const local = Object.fromEntries(Object.entries(deviceKeys).filter(([userId]) => this.isLocal(userId)));
    const { device_keys, master_keys, self_signing_keys } = await this.deviceKeys.query(noUser, local);
    return { device_keys, master_keys: master_keys as Record<string, KeyObject>, self_signing_keys: self_signing_keys as Record<string, KeyObject> };
  }

  /** user_keys.yaml /user/keys/claim: one key per device asked for, one-time keys first, then fallback keys. */
  async claim(oneTimeKeys: Record<string, Record<string, string>>): Promise<{ one_time_keys: Record<string, Record<string, Record<string, unknown>>> }> {
    const local = Object.fromEntries(Object.entries(oneTimeKeys).filter(([userId]) => this.isLocal(userId)));
    const { one_time_keys } = await this.deviceKeys.claim(local);
    return { one_time_keys };
  }

  private isLocal(userId: string): boolean {
    const colon = userId.indexOf(':');
    return userId.startsWith('@') && colon > 0 && userId.slice(colon + 1) === this.serverName;
  }
}
