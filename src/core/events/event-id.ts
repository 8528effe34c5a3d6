/** An event's ID (rooms/v1 "Event IDs", rooms/v3 "Event IDs", rooms/v4 "Event IDs"). */
import { encodeBase64, encodeBase64Url } from '../base64.ts';
import type { JsonObject } from '../canonical-json.ts';
import { MatrixError } from '../errors.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { computeReferenceHash } from './hashes.ts';

/**
 * The ID of `pdu`: from room version 3, `$` + its reference hash in the version's base64 alphabet; in
 * versions 1 and 2 the ID the sending server wrote into the event, which nothing can recompute.
 */
export function computeEventId(pdu: JsonObject, rules: RoomVersionRules): string {
  switch (rules.eventIdFormat) {
    case 'server-generated':
      if (typeof pdu.event_id !== 'string') throw new MatrixError('M_BAD_JSON', 'Events in this room version must carry an event_id');
      return pdu.event_id;
    case 'reference-hash-base64':
      return `$${encodeBase64(computeReferenceHash(pdu, rules))}`;
    case 'reference-hash-base64url':
      return `$${encodeBase64Url(computeReferenceHash(pdu, rules))}`;
  }
}
