/**
 * Power levels as the authorization rules read them (client-server-api `m.room.power_levels`; rooms/v1
 * … v12 "Authorization rules"). Values are parsed per room version: before v10 they may be strings
 * (rooms/v1 "m.room.power_levels events accept values as strings") or floats ("… accept values as
 * floats"); from v10 only integers count ("Values in m.room.power_levels events must be integers").
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { stateKeyOf, type RoomEvent } from '../events/pdu.ts';
import { isUserId, type UserId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthState } from './check-event-auth.ts';

export const createKey = stateKeyOf('m.room.create', '');
export const powerLevelsKey = stateKeyOf('m.room.power_levels', '');
export const joinRulesKey = stateKeyOf('m.room.join_rules', '');

/** The top-level integer properties of `m.room.power_levels` content. */
export type NamedLevel = 'users_default' | 'events_default' | 'state_default' | 'ban' | 'kick' | 'redact' | 'invite';
export const namedLevels: readonly NamedLevel[] = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'];

/** client-server-api `m.room.power_levels`: the defaults, with or without a power levels event. */
const namedLevelDefaults: Readonly<Record<NamedLevel, number>> = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
};

// rooms/v1 "m.room.power_levels events accept values as strings": base 10, optional sign, leading
// zeroes and surrounding whitespace allowed.
const stringyInteger = /^\s*[+-]?[0-9]+\s*$/;

/**
 * A power level value as `rules` read it, or undefined when it is not one. Before v10: integers,
 * strings of integers, and floats truncated toward zero (never NaN or ±Infinity); from v10: integers.
 */
export function parsePowerLevel(value: unknown, rules: RoomVersionRules): number | undefined {
  if (typeof value === 'number') {
    if (rules.integerPowerLevels) return Number.isInteger(value) ? value : undefined;
    return Number.isFinite(value) ? Math.trunc(value) : undefined;
  }
  if (typeof value === 'string' && !rules.integerPowerLevels && stringyInteger.test(value)) {
    const parsed = Number.parseInt(value.trim(), 10);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** The content of the power levels event in `authState`, if there is one. */
export function powerLevelsContent(authState: AuthState): JsonObject | undefined {
  return authState.get(powerLevelsKey)?.content;
}

/** A sub-object of power levels content (`users`, `events`, `notifications`); absent or malformed reads as empty. */
export function levelMap(content: JsonObject | undefined, name: 'users' | 'events' | 'notifications'): JsonObject {
  const map = content?.[name];
  return isJsonObject(map) ? map : {};
}

/** `object[key]` when it is the object's own property (an event type may be called "constructor"). */
export function ownValue(object: JsonObject | undefined, key: string): unknown {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** users_default, events_default, state_default, ban, kick, redact or invite, with its default. */
export function namedPowerLevel(name: NamedLevel, authState: AuthState, rules: RoomVersionRules): number {
  return parsePowerLevel(ownValue(powerLevelsContent(authState), name), rules) ?? namedLevelDefaults[name];
}

/**
 * The event type's *required power level*: `events[type]`, else `state_default` for state events and
 * `events_default` for the others.
 */
export function requiredPowerLevel(type: string, stateKey: string | undefined, authState: AuthState, rules: RoomVersionRules): number {
  const content = powerLevelsContent(authState);
  const level = parsePowerLevel(ownValue(levelMap(content, 'events'), type), rules);
  if (level !== undefined) return level;
  return namedPowerLevel(stateKey === undefined ? 'events_default' : 'state_default', authState, rules);
}

/** The level needed for a notification type such as `room` (`@room`); the spec defaults `room` to 50. */
export function notificationPowerLevel(key: string, authState: AuthState, rules: RoomVersionRules): number {
  return parsePowerLevel(ownValue(levelMap(powerLevelsContent(authState), 'notifications'), key), rules) ?? 50;
}

/**
 * The room's creator as the v1–v11 rules know it: `content.creator` of the create event, or its
 * sender from v11 (rooms/v11 "Remove the creator property of m.room.create events").
 */
export function roomCreator(create: RoomEvent, rules: RoomVersionRules): string | undefined {
  if (rules.creatorFromSender) return create.sender;
  const creator = create.content.creator;
  return typeof creator === 'string' ? creator : undefined;
}

/**
 * rooms/v12 "Authorisation rules": the room creators are the create event's sender and its
 * `additional_creators`. Empty in versions without privileged creators.
 */
export function roomCreators(authState: AuthState, rules: RoomVersionRules): ReadonlySet<string> {
  const create = authState.get(createKey);
  if (!rules.privilegedCreators || !create) return new Set();
  const creators = new Set<string>([create.sender]);
  const additional = create.content.additional_creators;
  if (Array.isArray(additional)) for (const id of additional) if (typeof id === 'string') creators.add(id);
  return creators;
}

/**
 * The power level of `userId` in `authState`: the users map, else users_default, else (no
 * power levels event) 100 for the room creator and 0 for everyone else; `Infinity` for creators in
 * room versions with privileged creators (v12).
 */
export function userPowerLevel(userId: UserId, authState: AuthState, rules: RoomVersionRules): number {
  if (roomCreators(authState, rules).has(userId)) return Infinity;
  const content = powerLevelsContent(authState);
  if (content) {
    return parsePowerLevel(ownValue(levelMap(content, 'users'), userId), rules) ?? namedPowerLevel('users_default', authState, rules);
  }
  // client-server-api `m.room.power_levels`: "If the room contains no m.room.power_levels event, the
  // room's creator has a power level of 100, and all other users have a power level of 0" (v1–v11).
  const create = authState.get(createKey);
  if (!rules.privilegedCreators && create && roomCreator(create, rules) === userId) return 100;
  return 0;
}

/** Whether `value` is a users map the rules accept: valid user ID keys, power level values. */
export function isValidUsersMap(value: unknown, rules: RoomVersionRules): boolean {
  if (!isJsonObject(value)) return false;
  return Object.entries(value).every(([userId, level]) => isUserId(userId, { historical: true }) && parsePowerLevel(level, rules) !== undefined);
}
