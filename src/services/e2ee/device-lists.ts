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

/**
 * Commits `change` together with a new device_lists position for `userId`, unless `change` returns
 * false (nothing changed), then wakes the syncs of the user and everyone sharing a room with them.
 */
export async function commitDeviceListChange(storage: Storage, events: ServerEvents, userId: string, change: (tx: Repositories) => Promise<boolean | void>): Promise<void> {
  const position = await storage.transaction(async (tx) => {
    if ((await change(tx)) === false) return undefined;
    const next = await tx.streamCounters.nextPosition('device_lists');
    await tx.e2eeKeys.recordDeviceListChange(userId, next);
    return next;
  });
  if (position === undefined) return;
  const concerned = await storage.roomMemberships.usersSharingRoomsWith(userId);
  concerned.add(userId);
  events.emit('deviceLists', { userId, position, userIds: [...concerned] });
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
