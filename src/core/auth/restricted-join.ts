/**
 * client-server-api "Restricted rooms" (rooms/v8 and later): a room whose join rule is `restricted`
 * (or v10 `knock_restricted`) lets in, without an invite, the members of the rooms its `allow` list
 * names (`m.room_membership`); a resident user able to invite vouches for the join with
 * `join_authorised_via_users_server`, which the authorization rules then check.
 */
import { isJsonObject } from '../canonical-json.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthState } from './check-event-auth.ts';
import { joinRuleOf, membershipOf } from './check-membership.ts';
import { joinRulesKey, namedPowerLevel, userPowerLevel } from './power-levels.ts';
import type { UserId } from '../ids/identifiers.ts';

/** The rooms whose members may join without an invite; undefined when the room is not restricted. */
export function restrictedJoinRooms(authState: AuthState, rules: RoomVersionRules): string[] | undefined {
  const joinRule = joinRuleOf(authState);
  if (!((rules.restrictedJoins && joinRule === 'restricted') || (rules.knockRestricted && joinRule === 'knock_restricted'))) return undefined;
  const allow = authState.get(joinRulesKey)?.content.allow;
  if (!Array.isArray(allow)) return [];
  return allow.flatMap((condition) => (isJsonObject(condition) && condition.type === 'm.room_membership' && typeof condition.room_id === 'string' ? [condition.room_id] : []));
}

/** A joined member among `candidates` who may invite, to vouch for a restricted join; undefined when none. */
export function authorisingUser(candidates: readonly string[], authState: AuthState, rules: RoomVersionRules): string | undefined {
  const inviteLevel = namedPowerLevel('invite', authState, rules);
  return candidates.find((userId) => membershipOf(userId, authState) === 'join' && userPowerLevel(userId as UserId, authState, rules) >= inviteLevel);
}
