/**
 * The power levels of a room upgrade (client-server-api "Room Upgrades", server behaviour steps 3 and
 * 6), as pure functions of the old room's power levels. The replacement room keeps the old levels,
 * read as the old version reads them and written as integers (rooms/v10 "Values in
 * m.room.power_levels events must be integers"). Creators of a version with privileged creators
 * (rooms/v12) cannot be listed in `users`; leaving such a version, the old creators keep the highest
 * power of the room. While the room is set up, the upgrading user holds enough power to copy every
 * state event and ban; their own level is restored afterwards.
 */
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { namedLevels, parsePowerLevel } from '../../core/auth/power-levels.ts';
import type { RoomVersionRules } from '../../core/room-versions/room-version-rules.ts';

export interface UpgradeParties {
  upgrader: string;
  /** The old room's privileged creators (rooms/v12); empty in versions without them. */
  oldCreators: ReadonlySet<string>;
  /** The replacement room's privileged creators: the upgrader and `additional_creators` (rooms/v12); empty otherwise. */
  newCreators: ReadonlySet<string>;
}

/** The power levels of the replacement room: `setup` while its state is copied, `final` afterwards. */
export function upgradedPowerLevels(old: JsonObject, oldRules: RoomVersionRules, newRules: RoomVersionRules, parties: UpgradeParties): { setup: JsonObject; final: JsonObject } {
  const content = integerPowerLevels(old, oldRules);
  const users = { ...levelsIn(content, 'users') };
  for (const creator of parties.newCreators) delete users[creator];
  if (!newRules.privilegedCreators) {
    const top = highestLevel(content);
    for (const creator of parties.oldCreators) users[creator] = top;
  }
  const final: JsonObject = { ...content, users };
  if (parties.newCreators.has(parties.upgrader)) return { setup: final, final };
  const needed = Math.max(level(content, 'state_default', 50), level(content, 'ban', 50), ...Object.values(levelsIn(content, 'events')));
  const current = users[parties.upgrader] ?? level(content, 'users_default', 0);
  return { setup: current >= needed ? final : { ...final, users: { ...users, [parties.upgrader]: needed } }, final };
}

/**
 * Step 6: "the power levels in the old room should also be modified to prevent sending of events and
 * inviting new users", setting `events_default` and `invite` to the greater of 50 and
 * `users_default + 1`. Undefined when they are that high already.
 */
export function restrictedPowerLevels(content: JsonObject, rules: RoomVersionRules): JsonObject | undefined {
  const restricted = Math.max(50, (parsePowerLevel(content.users_default, rules) ?? 0) + 1);
  const raised = (['events_default', 'invite'] as const).filter((name) => (parsePowerLevel(content[name], rules) ?? 0) < restricted);
  if (raised.length === 0) return undefined;
  return { ...content, ...Object.fromEntries(raised.map((name) => [name, restricted])) };
}

/** The content with every level an integer as `rules` read it; values the rules ignore are left out. */
function integerPowerLevels(content: JsonObject, rules: RoomVersionRules): JsonObject {
  const result: JsonObject = { ...content };
  for (const name of namedLevels) {
    if (!Object.hasOwn(content, name)) continue;
    const value = parsePowerLevel(content[name], rules);
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  for (const name of ['users', 'events', 'notifications'] as const) {
    if (!Object.hasOwn(content, name)) continue;
    const map = isJsonObject(content[name]) ? content[name] : {};
    result[name] = Object.fromEntries(Object.entries(map).flatMap(([key, value]) => {
      const parsed = parsePowerLevel(value, rules);
      return parsed === undefined ? [] : [[key, parsed]];
    }));
  }
  return result;
}

/** A map of integer levels of content already made integers. */
function levelsIn(content: JsonObject, name: 'users' | 'events'): Record<string, number> {
  return (content[name] ?? {}) as Record<string, number>;
}

function level(content: JsonObject, name: string, fallback: number): number {
  return typeof content[name] === 'number' ? content[name] : fallback;
}

/** The highest level the room names, and at least 100 (the creator's level without power levels). */
function highestLevel(content: JsonObject): number {
  const levels = [...namedLevels.map((name) => level(content, name, 0)), ...(['users', 'events'] as const).flatMap((name) => Object.values(levelsIn(content, name)))];
  return Math.max(100, ...levels);
}
