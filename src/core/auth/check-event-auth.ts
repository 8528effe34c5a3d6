/**
 * The authorization rules (rooms/v1 … v12 "Authorization rules"), one pass in the order of the
 * spec's numbered list. The room version's differences come from its rules record; rejection
 * reasons name the failing rule by its number in that version (rule-numbers.ts).
 *
 * The checks on the auth_events list itself (rule 2; v12 rule 3), which need the list rather than a
 * state map, are in auth-events.ts (`checkAuthEvents`); here the state's own room IDs are checked.
 * The signature rule for `join_authorised_via_users_server` (v8 4.2) belongs to signature checking
 * (`authorisingServerOf`).
 */
import type { RoomEvent, StateKey } from '../events/pdu.ts';
import { serverNameOf } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { authStateKeys } from './auth-events.ts';
import { checkCreateEvent } from './check-create-event.ts';
import { checkMembership, membershipOf } from './check-membership.ts';
import { checkPowerLevelsEvent } from './check-power-levels-event.ts';
import { createKey, namedPowerLevel, requiredPowerLevel, userPowerLevel } from './power-levels.ts';
import { allowed, rejected } from './verdict.ts';

/**
 * The state an event is authorised against, keyed by `stateKeyOf(type, state_key)`: the events its
 * auth_events name (received PDUs), or the room state before it (the state-based checks). For room
 * version 12 the room's create event must be present although it is not listed in auth_events.
 */
export type AuthState = ReadonlyMap<StateKey, RoomEvent>;

export type AuthVerdict = { allowed: true } | { allowed: false; reason: string };

export function checkEventAuth(event: RoomEvent, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  if (event.type === 'm.room.create') return checkCreateEvent(event, rules);

  const create = authState.get(createKey);
  if (rules.roomIdFormat === 'create-event-reference-hash') {
    // rooms/v12 rule 2: the room ID is the create event's ID with `!` for `$`.
    if (!create || event.roomId !== `!${create.eventId.slice(1)}`) return rejected('room-id-is-create', rules, 'the room ID is not that of the create event');
  } else if (!create) {
    return rejected('auth-events.missing-create', rules, 'no m.room.create event');
  }
  // Rule 2.5 on the state the rules read (not the whole of a room state passed in).
  for (const key of authStateKeys(event, rules)) {
    const authEvent = authState.get(key);
    if (authEvent && authEvent.roomId !== event.roomId) return rejected('auth-events.room-id', rules, `auth event ${authEvent.eventId} is in room ${authEvent.roomId}`);
  }
  if (create.content['m.federate'] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    return rejected('federate', rules, 'the room is not federated and the sender is from another server');
  }

  if (rules.specialCaseAliasesAuth && event.type === 'm.room.aliases') {
    if (event.stateKey === undefined) return rejected('aliases.no-state-key', rules, 'no state_key');
    if (event.stateKey !== serverNameOf(event.sender)) return rejected('aliases.domain', rules, "the sender's domain does not match state_key");
    return allowed;
  }
  if (event.type === 'm.room.member') return checkMembership(event, authState, rules);

  if (membershipOf(event.sender, authState) !== 'join') return rejected('sender-joined', rules, 'the sender is not joined');
  const senderLevel = userPowerLevel(event.sender, authState, rules);
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= namedPowerLevel('invite', authState, rules)) return allowed;
    return rejected('third-party-invite', rules, "the sender's power level is below the invite level");
  }
  const required = requiredPowerLevel(event.type, event.stateKey, authState, rules);
  if (required > senderLevel) return rejected('required-power', rules, `${event.type} needs power level ${required}, the sender has ${senderLevel}`);
  if (event.stateKey?.startsWith('@') && event.stateKey !== event.sender) return rejected('state-key', rules, 'a state_key starting with @ must be the sender');
  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(event, authState, rules);

  if (rules.redactionAuthRule && event.type === 'm.room.redaction') {
    if (senderLevel >= namedPowerLevel('redact', authState, rules)) return allowed;
    const redactedDomain = event.redacts === undefined ? undefined : serverNameOf(event.redacts);
    if (redactedDomain !== undefined && redactedDomain === serverNameOf(event.eventId)) return allowed;
    return rejected('redaction.otherwise', rules, "below the redact level, and the redacted event is from another server");
  }
  return allowed;
}
