/**
 * Step 5 of server-server-api "Checks performed on receipt of a PDU": the state before the event, the
 * state after each of its prev events resolved together (rooms "State resolution") when there are
 * several, and whether the event is allowed by the authorization rules against it.
 */
import type { AuthState } from '../../../core/auth/check-event-auth.ts';
import { checkEventAuth } from '../../../core/auth/check-event-auth.ts';
import { authStateKeys } from '../../../core/auth/auth-events.ts';
import type { RoomEvent } from '../../../core/events/pdu.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { resolveState } from '../../../core/state-resolution/resolve-state.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates, StateMap } from '../../rooms/room-states.ts';

/** The state before the event; undefined when a prev event is unknown here or known only as an outlier (no state). */
export async function stateBeforeEvent(event: RoomEvent, rules: RoomVersionRules, eventStore: EventStore, roomStates: RoomStates): Promise<{ group: number | null; state: StateMap } | undefined> {
  const prevs = await eventStore.localEvents(event.prevEventIds);
  const groups: number[] = [];
  for (const id of event.prevEventIds) {
    const group = prevs.get(id)?.stateAfterGroup;
    if (group == null) return undefined;
    groups.push(group);
  }
  const distinct = [...new Set(groups)];
  if (distinct.length === 1) return { group: distinct[0]!, state: await roomStates.stateOfGroup(distinct[0]!) };
  const states = await Promise.all(distinct.map((group) => roomStates.stateOfGroup(group)));
  return { group: null, state: await resolveState(event.roomId, rules, states, eventStore) };
}

/** Whether the event is allowed against `state`; the rejection reason, or null. */
export async function checkAgainstState(event: RoomEvent, state: StateMap, rules: RoomVersionRules, roomStates: RoomStates): Promise<string | null> {
  const authState = await roomStates.events(state, authStateKeys(event, rules));
  const verdict = checkEventAuth(event, authState as AuthState, rules);
  return verdict.allowed ? null : verdict.reason;
}
