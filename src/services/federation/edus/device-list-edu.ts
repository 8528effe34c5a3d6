/**
 * server-server-api "Device Management" (m.device_list_update) and "End-to-End Encryption"
 * (m.signing_key_update).
 *
 * Out: each change to a local user's devices is one EDU "to all the servers who share a room with"
 * the user: the device's current keys and display name, or `deleted`; a change of their master or
 * self-signing key is an m.signing_key_update with the current keys. `stream_id` is the change's
 * device_lists position, and `prev_id` the previous one sent for the user by this process (none
 * after a restart, which makes a receiver that caches resynchronise through /user/devices).
 * The EDUs of one process go out in the order of the changes: each is read after the change
 * committed, one at a time, and persisted in the federation outbox, so a destination that is down
 * or a restart does not lose it.
 *
 * In: an update for a user of the origin (EDUs carry no signatures; the origin speaks for its users
 * only) is a change of that user's device list for the local users sharing a room with them, whose
 * /sync device_lists.changed and /keys/changes then name the user. Remote keys are not cached here
 * (e2ee/remote-device-keys.ts asks the user's server each time), so there is nothing to refresh.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { CrossSigning } from '../../e2ee/cross-signing.ts';
import { commitRemoteDeviceListChange } from '../../e2ee/device-lists.ts';
import { lru } from '../../../util/lru.ts';
import { isShortString, isUserOf, remoteServersOf, type EduContext } from './edu-context.ts';

/** The requester whose view of cross-signing signatures other servers get: no local user's. */
const noUser = '';

export class DeviceListEdus {
  /** The stream_id of the last EDU sent per local user: the next one's prev_id. */
  private readonly lastSent = lru<string, number>(100_000);
  /** Changes are read and sent one at a time, in the order they were committed. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: EduContext,
    private readonly storage: Storage,
    private readonly crossSigning: CrossSigning,
  ) {
    context.events.on('deviceLists', (change) => {
      if (!isUserOf(change.userId, context.serverName)) return;
      const destinations = remoteServersOf(change.userIds, context.serverName);
      if (destinations.size === 0 || (change.deviceId === undefined && !change.signingKeys)) return;
      this.sending = this.sending.then(() => this.send(change, destinations)).catch(() => undefined);
    });
    context.onEdu('m.device_list_update', (origin, content) => this.receive(origin, content, isShortString(content.device_id)));
    context.onEdu('m.signing_key_update', (origin, content) => this.receive(origin, content, true));
  }

  private async send(change: { userId: string; position: number; deviceId?: string; signingKeys?: true }, destinations: Set<string>): Promise<void> {
    const { userId, position, deviceId } = change;
    const edu = deviceId === undefined ? await this.signingKeyUpdate(userId) : await this.deviceListUpdate(userId, deviceId, position);
    await this.context.sendDurableEdus([...destinations].map((destination) => ({ destination, edu })));
  }

  /** m.device_list_update: the device as it is now, or `deleted`. */
  private async deviceListUpdate(userId: string, deviceId: string, position: number): Promise<JsonObject> {
    const previous = this.lastSent.get(userId);
    this.lastSent.set(userId, position);
    const content: JsonObject = { user_id: userId, device_id: deviceId, stream_id: position, prev_id: previous === undefined ? [] : [previous] };
    const device = await this.storage.devices.get(userId, deviceId);
    if (!device) return { edu_type: 'm.device_list_update', content: { ...content, deleted: true } };
    if (device.displayName) content.device_display_name = device.displayName;
    const [keys] = await this.crossSigning.withDeviceSignatures(await this.storage.e2eeKeys.deviceKeysOf(new Map([[userId, [deviceId]]])));
    if (keys) content.keys = keys.keys;
    return { edu_type: 'm.device_list_update', content };
  }

  /** m.signing_key_update: the user's master and self-signing keys as they are now. */
  private async signingKeyUpdate(userId: string): Promise<JsonObject> {
    const keys = await this.crossSigning.keysFor(noUser, [userId]);
    const master = keys.master_keys[userId];
    const selfSigning = keys.self_signing_keys[userId];
    return { edu_type: 'm.signing_key_update', content: { user_id: userId, ...(master ? { master_key: master } : {}), ...(selfSigning ? { self_signing_key: selfSigning } : {}) } };
  }

  private async receive(origin: string, content: JsonObject, wellFormed: boolean): Promise<void> {
    const { user_id: userId } = content;
    if (origin === this.context.serverName || !wellFormed || !isUserOf(userId, origin)) return;
    const sharing = [...(await this.storage.roomMemberships.usersSharingRoomsWith(userId))].filter((user) => isUserOf(user, this.context.serverName));
    // A server that shares no room with the user has no one to tell (nor should it keep the row).
    if (sharing.length === 0) return;
    await commitRemoteDeviceListChange(this.storage, this.context.events, userId, sharing);
  }
}
