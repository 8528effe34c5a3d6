/**
 * An event's auth_events (server-server-api "Auth events selection"): which state an event names as
 * its authority when it is built, and whether a received event's list is acceptable (rooms/v1
 * "Authorization rules" rule 2, rooms/v12 rules 2 and 3).
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthState, AuthVerdict } from './check-event-auth.ts';
import { createKey, joinRulesKey, powerLevelsKey } from './power-levels.ts';
import { thirdPartySigned } from './third-party-invite.ts';
import { allowed, rejected } from './verdict.ts';

/** What the selection reads of an event that may not be built yet. */
export type AuthEventsSubject = { type: string; sender: string; stateKey?: string | undefined; content: JsonObject };

/**
 * The state keys the authorization rules read for `event`: the create event, the power levels, the
 * sender's membership and, for member events, the target's membership, the join rules (join, invite,
 * knock), the third-party invite named by `signed.token` (invite) and the authorising user's
 * membership (restricted join). Empty for a create event. This includes the create event in every
 * version; `authEventKeys` is the selection that goes into auth_events.
 */
export function authStateKeys(event: AuthEventsSubject, rules: RoomVersionRules): StateKey[] {
  if (event.type === 'm.room.create') return [];
  const keys = new Set<StateKey>([createKey, powerLevelsKey, stateKeyOf('m.room.member', event.sender)]);
  if (event.type === 'm.room.member' && event.stateKey !== undefined) {
    keys.add(stateKeyOf('m.room.member', event.stateKey));
    const membership = event.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') keys.add(joinRulesKey);
    const token = thirdPartySigned(event.content)?.token;
    if (membership === 'invite' && isJsonObject(event.content.third_party_invite) && typeof token === 'string') {
      keys.add(stateKeyOf('m.room.third_party_invite', token));
    }
    const via = event.content.join_authorised_via_users_server;
    if (membership === 'join' && rules.restrictedJoins && typeof via === 'string') keys.add(stateKeyOf('m.room.member', via));
  }
  return [...keys];
}

/**
 * server-server-api "Auth events selection": the state keys that belong in `event`'s auth_events.
 * The create event is among them except from room version 12 (its room ID names it instead).
 */
export function authEventKeys(event: AuthEventsSubject, rules: RoomVersionRules): StateKey[] {
  const keys = authStateKeys(event, rules);
  return rules.createInAuthEvents ? keys : keys.filter((key) => key !== createKey);
}

/** The auth_events for a new event: the IDs of the selected keys present in `currentState`. */
export function selectAuthEvents(event: AuthEventsSubject, currentState: AuthState, rules: RoomVersionRules): EventId[] {
  return authEventKeys(event, rules)
    .map((key) => currentState.get(key)?.eventId)
    .filter((id) => id !== undefined);
}

export type AuthEventsListOptions = {
  /** rooms/v1 rule 2.3: whether an auth event was itself rejected. */
  isRejected?: (eventId: EventId) => boolean;
};

/**
 * rooms/v1 "Authorization rules" rule 2 (v12: rule 3) on a received event's auth_events, given the
 * events its IDs name (`lookup`; an unknown ID is a rejection, so fetch missing auth events first):
 * no duplicate (type, state_key), nothing the selection would not pick, nothing rejected, the create
 * event present (v1–v11; v12 must not list it), and every auth event in the event's room.
 */
export function checkAuthEvents(
  event: RoomEvent,
  lookup: (eventId: EventId) => RoomEvent | undefined,
  rules: RoomVersionRules,
  options: AuthEventsListOptions = {},
): AuthVerdict {
  if (event.type === 'm.room.create') {
    return event.authEventIds.length === 0 ? allowed : rejected('auth-events.selection', rules, 'a create event has no auth events');
  }
  const selectable = new Set(authEventKeys(event, rules));
  const seen = new Set<StateKey>();
  for (const id of event.authEventIds) {
    const authEvent = lookup(id);
    if (!authEvent) return rejected('auth-events.selection', rules, `auth event ${id} is unknown`);
    const key = authEvent.stateKey === undefined ? undefined : stateKeyOf(authEvent.type, authEvent.stateKey);
    if (key !== undefined && seen.has(key)) return rejected('auth-events.duplicates', rules, `two auth events for ${describeKey(key)}`);
    if (key === undefined || !selectable.has(key)) {
      return rejected('auth-events.selection', rules, `auth event ${id} (${key === undefined ? authEvent.type : describeKey(key)}) is not selected for this event`);
    }
    seen.add(key);
    if (options.isRejected?.(id)) return rejected('auth-events.rejected', rules, `auth event ${id} was rejected`);
    if (authEvent.roomId !== event.roomId) return rejected('auth-events.room-id', rules, `auth event ${id} is in room ${authEvent.roomId}`);
  }
  if (rules.createInAuthEvents && !seen.has(createKey)) return rejected('auth-events.missing-create', rules, 'no m.room.create among the auth events');
  return allowed;
}

/**
 * The auth state of a received event: its auth events by (type, state_key), plus the create event
 * where the room version leaves it out of auth_events (v12; pass it from the room ID).
 */
export function authStateFromEvents(authEvents: Iterable<RoomEvent>, create?: RoomEvent): Map<StateKey, RoomEvent> {
  const state = new Map<StateKey, RoomEvent>();
  if (create) state.set(createKey, create);
  for (const authEvent of authEvents) {
    if (authEvent.stateKey !== undefined) state.set(stateKeyOf(authEvent.type, authEvent.stateKey), authEvent);
  }
  return state;
}

function describeKey(key: StateKey): string {
  const [type, stateKey] = key.split('\u0000');
  return `(${type}, ${JSON.stringify(stateKey)})`;
}
