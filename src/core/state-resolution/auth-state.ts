/**
 * An event's own auth events as a state map, as state resolution reads them: for the sender's power
 * level in the reverse topological power ordering, and as the fallback of the iterative auth checks.
 * Room version 12 leaves the create event out of auth_events, so it is added from the room ID.
 */
import { createKey } from '../auth/power-levels.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../events/pdu.ts';
import type { EventId, RoomId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { EventCache } from './event-source.ts';

/** rooms/v12 "Event format": the room ID is the create event's ID with `!` for `$`; earlier, unknown. */
export function createEventIdOf(roomId: RoomId, rules: RoomVersionRules): EventId | undefined {
  return rules.roomIdFormat === 'create-event-reference-hash' ? (`$${roomId.slice(1)}` as EventId) : undefined;
}

export function stateKeyOfEvent(event: RoomEvent): StateKey | undefined {
  return event.stateKey === undefined ? undefined : stateKeyOf(event.type, event.stateKey);
}

/**
 * `event`'s auth events (those fetched; without the rejected ones for the iterative auth checks)
 * keyed by type and state key, with the room's create event added where the room version leaves it
 * out of auth_events. The events must be loaded.
 */
export function authEventsState(event: RoomEvent, cache: EventCache, rules: RoomVersionRules, options: { withRejected: boolean }): Map<StateKey, RoomEvent> {
  const state = new Map<StateKey, RoomEvent>();
  for (const id of event.authEventIds) {
    const authEvent = cache.get(id);
    if (!authEvent || (!options.withRejected && cache.isRejected(id))) continue;
    const key = stateKeyOfEvent(authEvent);
    if (key !== undefined) state.set(key, authEvent);
  }
  addCreateEvent(state, event, cache, rules);
  return state;
}

/** Adds the v12 create event (named by the room ID) to an auth state that lacks it. */
export function addCreateEvent(state: Map<StateKey, RoomEvent>, event: RoomEvent, cache: EventCache, rules: RoomVersionRules): void {
  if (state.has(createKey) || event.type === 'm.room.create') return;
  const createId = createEventIdOf(event.roomId, rules);
  const create = createId === undefined ? undefined : cache.get(createId);
  if (create && createId !== undefined && !cache.isRejected(createId)) state.set(createKey, create);
}

/** The IDs `authEventsState` reads for these events: their auth events and the v12 create event. */
export function authEventIdsOf(events: Iterable<RoomEvent>, rules: RoomVersionRules): Set<EventId> {
  const ids = new Set<EventId>();
  for (const event of events) {
    for (const id of event.authEventIds) ids.add(id);
    const createId = createEventIdOf(event.roomId, rules);
    if (createId !== undefined) ids.add(createId);
  }
  return ids;
}
