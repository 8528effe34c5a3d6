/**
 * The device_lists stream (client-server-api "Tracking the device list for a user", "Extensions to
 * /sync", GET /keys/changes). A change to a user's devices, device keys or cross-signing keys is one
 * row at a new stream position; it concerns every user who shares a room with them, whose clients
 * must query the keys again. Between two sync tokens a user is told:
 *  - `changed`: room-mates (and themselves) whose device list changed, plus users they newly share a
 *    room with (the spec allows listing a user on any new shared room, not only the first);
 *  - `left`: users who left a room shared with them (or whose room they left) and now share none.
 * Both are a few indexed queries over the stream range and the current memberships, never a loop
 * over users.
 */
import type { Repositories, Storage } from '../../storage/storage.ts';
import type { ServerEvents } from '../server-events.ts';

/** The stream positions of a sync token that the device list changes depend on. */
export interface DeviceListPositions {
  events: number;
  device_lists: number;
}

export interface DeviceListChanges {
  changed: string[];
  left: string[];
}

/** What a device list change touched, as other servers are told of it (server-events `deviceLists`). */
export interface DeviceListChangeScope {
  /** Devices added, removed or whose keys changed. */
  deviceIds: string[];
  /** Whether the master or self-signing key changed. */
  signingKeys?: boolean;
}

/**
 * Commits `change` together with new device_lists positions for `userId`, unless `change` returns
 * false (nothing changed), then wakes the syncs of the user and everyone sharing a room with them.
 * Each device touched, and the cross-signing keys, get a position of their own, because each is one
 * m.device_list_update or m.signing_key_update with a unique `stream_id` for other servers
 * (server-server-api "Device Management"). Without a `scope`, the devices added or removed are found
 * by comparing the user's devices before and after the change.
 */
export async function commitDeviceListChange(
  storage: Storage,
  events: ServerEvents,
  userId: string,
  change: (tx: Repositories) => Promise<boolean | void>,
  scope?: DeviceListChangeScope,
): Promise<void> {
  const committed = await storage.transaction(async (tx) => {
    const before = scope ? undefined : await deviceIdsOf(tx, userId);
    if ((await change(tx)) === false) return undefined;
    let deviceIds = scope?.deviceIds;
    if (!deviceIds) {
      const after = await deviceIdsOf(tx, userId);
      deviceIds = [...before!].filter((id) => !after.has(id)).concat([...after].filter((id) => !before!.has(id)));
    }
    const parts: Array<{ deviceId?: string; signingKeys?: true }> = [...new Set(deviceIds)].sort().map((deviceId) => ({ deviceId }));
    if (scope?.signingKeys) parts.push({ signingKeys: true });
    if (parts.length === 0) parts.push({});
    const positioned = [];
    for (const part of parts) {
      const position = await tx.streamCounters.nextPosition('device_lists');
      await tx.e2eeKeys.recordDeviceListChange(userId, position);
      positioned.push({ ...part, position });
    }
    return positioned;
  });
  if (committed === undefined) return;
  const concerned = await storage.roomMemberships.usersSharingRoomsWith(userId);
  concerned.add(userId);
  for (const part of committed) events.emit('deviceLists', { userId, userIds: [...concerned], ...part });
}

/**
 * Records that the device list of `userId`, a user of another server, changed (their server said so),
 * and wakes the syncs of `localUserIds`, this server's users sharing a room with them.
 */
export async function commitRemoteDeviceListChange(storage: Storage, events: ServerEvents, userId: string, localUserIds: string[]): Promise<void> {
  const position = await storage.transaction(async (tx) => {
    const next = await tx.streamCounters.nextPosition('device_lists');
    await tx.e2eeKeys.recordDeviceListChange(userId, next);
    return next;
  });
  events.emit('deviceLists', { userId, position, userIds: localUserIds });
}

/** The user's devices (logged in, with or without keys). */
async function deviceIdsOf(tx: Repositories, userId: string): Promise<Set<string>> {
  return new Set((await tx.devices.list(userId)).map((device) => device.deviceId));
}

/** What `userId` must hear of between the positions `from` and `to`. */
export async function deviceListChanges(storage: Storage, userId: string, from: DeviceListPositions, to: DeviceListPositions): Promise<DeviceListChanges> {
  const changed = new Set(from.device_lists < to.device_lists ? await storage.e2eeKeys.roomMatesWithDeviceListChanges(userId, from.device_lists, to.device_lists) : []);
  const memberships = await storage.roomMemberships.membershipChangesAround(userId, from.events, to.events);
  if (memberships.length === 0) return { changed: [...changed].sort(), left: [] };

  // Joins: the joiner, or everyone in a room the user joined. Leaves: the leaver, or everyone in a room the user left.
  const joined = new Set<string>();
  const departed = new Set<string>();
  const roomsJoined = new Set<string>();
  const roomsLeft = new Set<string>();
  for (const change of memberships) {
    // Invites and knocks neither start nor end sharing a room.
    const kind = change.membership === 'join' ? 'join' : change.membership === 'leave' || change.membership === 'ban' ? 'leave' : undefined;
    if (kind === undefined) continue;
    if (change.userId === userId) (kind === 'join' ? roomsJoined : roomsLeft).add(change.roomId);
    else (kind === 'join' ? joined : departed).add(change.userId);
  }
  for (const member of await storage.roomMemberships.joinedMembersOf([...roomsJoined])) joined.add(member);
  for (const member of await storage.roomMemberships.joinedMembersOf([...roomsLeft])) departed.add(member);
  joined.delete(userId);
  departed.delete(userId);

  // Only the current memberships decide: a user who joined and left again, or left one room but is
  // still in another with the user, is judged by whether they share a room now.
  const sharing = await storage.roomMemberships.usersSharingRoomsWith(userId, [...new Set([...joined, ...departed])]);
  for (const user of joined) if (sharing.has(user)) changed.add(user);
  const left = [...departed].filter((user) => !sharing.has(user) && !changed.has(user));
  return { changed: [...changed].sort(), left: left.sort() };
}
