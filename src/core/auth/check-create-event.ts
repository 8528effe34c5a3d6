/**
 * rooms/v1 "Authorization rules" rule 1, for `m.room.create`: no prev_events, the room ID's domain
 * is the sender's, a recognised `room_version`, a `creator` (until v11 "Remove the creator property
 * of m.room.create events"). rooms/v12 rule 1: no `room_id` at all (the room ID is derived from the
 * event ID) and `additional_creators`, when present, an array of valid user IDs.
 */
import type { RoomEvent } from '../events/pdu.ts';
import { isUserId, serverNameOf } from '../ids/identifiers.ts';
import { isSupportedRoomVersion } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthVerdict } from './check-event-auth.ts';
import { allowed, rejected } from './verdict.ts';

export function checkCreateEvent(event: RoomEvent, rules: RoomVersionRules): AuthVerdict {
  if (event.prevEventIds.length > 0) return rejected('create.prev-events', rules, 'a create event has no prev_events');
  if (rules.roomIdFormat === 'create-event-reference-hash') {
    if (event.pdu.room_id !== undefined) return rejected('create.room-id', rules, 'a create event has no room_id in this room version');
  } else if (serverNameOf(event.roomId) !== serverNameOf(event.sender)) {
    return rejected('create.room-id', rules, "the room ID's domain is not the sender's");
  }
  const { room_version: roomVersion, additional_creators: additionalCreators, creator } = event.content;
  if (roomVersion !== undefined && (typeof roomVersion !== 'string' || !isSupportedRoomVersion(roomVersion))) {
    return rejected('create.room-version', rules, `unknown room_version ${JSON.stringify(roomVersion)}`);
  }
  if (rules.privilegedCreators && additionalCreators !== undefined) {
    const valid = Array.isArray(additionalCreators) && additionalCreators.every((id) => typeof id === 'string' && isUserId(id, { historical: true }));
    if (!valid) return rejected('create.additional-creators', rules, 'additional_creators is not an array of user IDs');
  }
  if (!rules.creatorFromSender && creator === undefined) return rejected('create.creator', rules, 'no creator in content');
  return allowed;
}
