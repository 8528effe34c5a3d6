/**
 * Step 4 of server-server-api "Checks performed on receipt of a PDU": the event is allowed by the
 * authorization rules against its own auth events (which must be the right ones, known, and not
 * rejected). Returns the rejection reason, or null.
 */
import { authStateFromEvents, checkAuthEvents } from '../../../core/auth/auth-events.ts';
import { checkEventAuth } from '../../../core/auth/check-event-auth.ts';
import type { RoomEvent } from '../../../core/events/pdu.ts';
import type { EventId } from '../../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { createEventIdOf } from '../../../core/state-resolution/auth-state.ts';
import type { EventStore } from '../../rooms/event-store.ts';

export async function checkAgainstAuthEvents(event: RoomEvent, rules: RoomVersionRules, eventStore: EventStore): Promise<string | null> {
  const createId = createEventIdOf(event.roomId, rules);
  const known = await eventStore.localEvents([...event.authEventIds, ...(createId ? [createId] : [])]);
  const listed = checkAuthEvents(event, (id) => known.get(id)?.event, rules, { isRejected: (id: EventId) => known.get(id)?.rejected === true });
  if (!listed.allowed) return listed.reason;
  const authEvents = event.authEventIds.flatMap((id) => known.get(id)?.event ?? []);
  const verdict = checkEventAuth(event, authStateFromEvents(authEvents, createId ? known.get(createId)?.event : undefined), rules);
  return verdict.allowed ? null : verdict.reason;
}
