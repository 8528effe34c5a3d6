/**
 * Knocks on rooms this server is not in, in the `rooms` section of /sync (client-server-api "GET
 * /sync": `knock` with `knock_state`, and a retracted knock under `leave`), each once: its position is
 * on the events stream. The knock_state is the stripped state the resident server answered send_knock
 * with, and the knock itself (as for a knock in a room this server is in).
 */
import { strippedStateFromJson } from '../../core/events/client-event.ts';
import type { RemoteKnocks } from '../federation/joins/remote-knocks.ts';
import type { ClientEvents } from '../rooms/client-events.ts';
import type { Membership } from '../rooms/room-states.ts';
import type { RoomSyncRequest, RoomsSync } from './room-sync.ts';

export async function addRemoteKnocks(
  request: RoomSyncRequest,
  memberships: ReadonlyMap<string, Membership>,
  result: RoomsSync,
  knocks: RemoteKnocks,
  clientEvents: ClientEvents,
  /** Invites to rooms this server is not in: an invite after the knock (the knock accepted) replaces it. */
  invites: ReadonlyArray<{ roomId: string; streamPosition: number }>,
): Promise<void> {
  const { userId, since, upTo, filter } = request;
  for (const knock of await knocks.forUser(userId)) {
    // A room known here is synced from its own state.
    if (memberships.has(knock.roomId) || result.invite[knock.roomId] || result.join[knock.roomId]) continue;
    if (filter?.not_rooms?.includes(knock.roomId) || (filter?.rooms !== undefined && !filter.rooms.includes(knock.roomId))) continue;
    if (knock.streamPosition > upTo || (since !== undefined && knock.streamPosition <= since)) continue;
    if (invites.some((invite) => invite.roomId === knock.roomId && invite.streamPosition > knock.streamPosition)) continue;
    const own = await clientEvents.format({ userId, deviceId: request.deviceId }, [knocks.eventOf(knock)], { omitRoomId: true });
    if (knock.membership === 'knock') {
      const stripped = knock.knockState.flatMap((json) => strippedStateFromJson(json) ?? []);
      result.knock[knock.roomId] = { knock_state: { events: [...stripped, ...own] } };
    } else if (since !== undefined || filter?.include_leave) {
      // Left rooms appear in an initial sync only with include_leave.
      result.leave[knock.roomId] = { timeline: { events: own, limited: false, prev_batch: `s${knock.streamPosition - 1}` }, state: { events: [] }, account_data: { events: [] } };
    }
  }
}
