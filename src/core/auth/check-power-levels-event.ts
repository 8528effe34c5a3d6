/**
 * The `m.room.power_levels` authorization rules (rooms/v1 "Authorization rules" rule 10, v6 rule 9
 * with `notifications`, v10 rule 9 with integer-only values, v12 rule 10 where creators may not be
 * listed): the content must be well formed, and a change may not touch any level above the
 * sender's own.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import type { RoomEvent } from '../events/pdu.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthState, AuthVerdict } from './check-event-auth.ts';
import { isValidUsersMap, levelMap, namedLevels, ownValue, parsePowerLevel, powerLevelsKey, roomCreators, userPowerLevel } from './power-levels.ts';
import { allowed, rejected } from './verdict.ts';

export function checkPowerLevelsEvent(event: RoomEvent, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  const { content } = event;
  if (rules.integerPowerLevels) {
    for (const name of namedLevels) {
      if (ownValue(content, name) !== undefined && !Number.isInteger(ownValue(content, name))) return rejected('power-levels.named-integers', rules, `${name} is not an integer`);
    }
    for (const name of ['events', 'notifications'] as const) {
      const map = ownValue(content, name);
      if (map !== undefined && !(isJsonObject(map) && Object.values(map).every((level) => Number.isInteger(level)))) {
        return rejected('power-levels.maps-integers', rules, `${name} is not an object of integers`);
      }
    }
  }
  if (content.users !== undefined && !isValidUsersMap(content.users, rules)) {
    return rejected('power-levels.users', rules, 'users is not an object of user IDs to integers');
  }
  if (rules.privilegedCreators) {
    const listed = Object.keys(levelMap(content, 'users')).filter((userId) => roomCreators(authState, rules).has(userId));
    if (listed.length > 0) return rejected('power-levels.creators', rules, `users lists the room creator ${listed.join(', ')}`);
  }

  const previous = authState.get(powerLevelsKey);
  if (!previous) return allowed;
  const senderLevel = userPowerLevel(event.sender, authState, rules);

  for (const name of namedLevels) {
    const change = compare(ownValue(previous.content, name), ownValue(content, name), rules);
    if (change === 'invalid') return rejected('power-levels.named', rules, `${name} is not a valid power level`);
    if (change && ((change.old ?? -Infinity) > senderLevel || (change.new ?? -Infinity) > senderLevel)) {
      return rejected('power-levels.named', rules, `changing ${name} needs a power level of at least ${Math.max(change.old ?? -Infinity, change.new ?? -Infinity)}`);
    }
  }

  const mapNames = rules.limitNotificationsPowerLevels ? (['events', 'notifications'] as const) : (['events'] as const);
  for (const name of mapNames) {
    for (const [key, change] of changedEntries(levelMap(previous.content, name), levelMap(content, name), rules)) {
      if (change === 'invalid') return rejected('power-levels.events-removed', rules, `${name}[${key}] is not a valid power level`);
      if (change.old !== undefined && change.old > senderLevel) {
        return rejected('power-levels.events-removed', rules, `${name}[${key}] is ${change.old}, above the sender's power level`);
      }
      if (change.new !== undefined && change.new > senderLevel) {
        return rejected('power-levels.events-added', rules, `${name}[${key}] would be ${change.new}, above the sender's power level`);
      }
    }
  }

  for (const [userId, change] of changedEntries(levelMap(previous.content, 'users'), levelMap(content, 'users'), rules)) {
    if (change === 'invalid') return rejected('power-levels.users-removed', rules, `users[${userId}] is not a valid power level`);
    if (userId !== event.sender && change.old !== undefined && change.old >= senderLevel) {
      return rejected('power-levels.users-removed', rules, `users[${userId}] is ${change.old}, not below the sender's power level`);
    }
    if (change.new !== undefined && change.new > senderLevel) {
      return rejected('power-levels.users-added', rules, `users[${userId}] would be ${change.new}, above the sender's power level`);
    }
  }
  return allowed;
}

type Change = { old: number | undefined; new: number | undefined };

/**
 * How a value changed, compared as power levels ("50" and 50 are the same level before v10):
 * undefined when unchanged, 'invalid' when a present value is not a power level (Synapse rejects
 * such events as it fails to read them).
 */
function compare(oldValue: unknown, newValue: unknown, rules: RoomVersionRules): Change | 'invalid' | undefined {
  const oldLevel = parsePowerLevel(oldValue, rules);
  const newLevel = parsePowerLevel(newValue, rules);
  if ((oldValue !== undefined && oldLevel === undefined) || (newValue !== undefined && newLevel === undefined)) return 'invalid';
  return oldLevel === newLevel ? undefined : { old: oldLevel, new: newLevel };
}

function changedEntries(before: JsonObject, after: JsonObject, rules: RoomVersionRules): Array<[string, Change | 'invalid']> {
  const changes: Array<[string, Change | 'invalid']> = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const change = compare(ownValue(before, key), ownValue(after, key), rules);
    if (change) changes.push([key, change]);
  }
  return changes;
}
