/**
 * Step 3 of server-server-api "Checks performed on receipt of a PDU": an event whose content does not
 * match its content hash is processed, and stored, in its redacted form (its signature covers the
 * redacted form, so it still verifies; the content is what someone tampered with).
 */
import { checkContentHash } from '../../../core/events/hashes.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../../core/events/pdu.ts';
import { redactEvent } from '../../../core/events/redact.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';

export function withCheckedContentHash(event: RoomEvent, rules: RoomVersionRules): { event: RoomEvent; redacted: boolean } {
  if (checkContentHash(event.pdu)) return { event, redacted: false };
  return { event: toRoomEvent(redactEvent(event.pdu, rules) as Pdu, rules, event.eventId), redacted: true };
}
