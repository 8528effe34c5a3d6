/**
 * rooms/v2 "Iterative auth checks": apply each state event of a sorted list to a room state when the
 * authorization rules allow it against that state, and ignore it otherwise. "If a (event_type,
 * state_key) key that is required for checking the authorisation rules is not present in the state,
 * then the appropriate state event from the event's auth_events is used if the auth event is not
 * rejected": the auth state is the event's auth events overlaid with the partially resolved state
 * for the keys the rules read. Rejected events are never used as auth state ("Rejected events"),
 * though a rejected event is itself checked like any other.
 */
import { authStateKeys } from '../auth/auth-events.ts';
import { checkEventAuth } from '../auth/check-event-auth.ts';
import type { StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { authEventIdsOf, authEventsState, stateKeyOfEvent } from './auth-state.ts';
import type { EventCache } from './event-source.ts';

/** Applies `eventIds` in order to `state`, which is updated in place and returned. */
export async function iterativeAuthChecks(
  eventIds: readonly EventId[],
  state: Map<StateKey, EventId>,
  cache: EventCache,
  rules: RoomVersionRules,
): Promise<Map<StateKey, EventId>> {
  // Everything the loop reads, in one batch: the events, their auth events, and the current holders
  // of the keys they need. Later holders are events of the list itself, already loaded.
  await cache.load(eventIds);
  const events = eventIds.map((id) => cache.get(id)).filter((event) => event !== undefined);
  const needed = authEventIdsOf(events, rules);
  for (const event of events) {
    for (const key of authStateKeys(event, rules)) {
      const holder = state.get(key);
      if (holder !== undefined) needed.add(holder);
    }
  }
  await cache.load(needed);

  for (const event of events) {
    const key = stateKeyOfEvent(event);
    if (key === undefined) continue;
    const authState = authEventsState(event, cache, rules, { withRejected: false });
    for (const authKey of authStateKeys(event, rules)) {
      const holderId = state.get(authKey);
      if (holderId === undefined || cache.isRejected(holderId)) continue;
      if (!cache.has(holderId)) await cache.load([holderId]);
      const holder = cache.get(holderId);
      if (holder) authState.set(authKey, holder);
    }
    if (checkEventAuth(event, authState, rules).allowed) state.set(key, event.eventId);
  }
  return state;
}
