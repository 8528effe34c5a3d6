/**
 * Building auth verdicts: a rejection names the rule it failed by the number its room version page
 * gives it (see rule-numbers.ts), e.g. `rule 4.3.3 (member.join.banned): the sender is banned`.
 */
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthVerdict } from './check-event-auth.ts';
import { ruleNumber } from './rule-numbers.ts';

export const allowed: AuthVerdict = Object.freeze({ allowed: true });

export function rejected(path: string, rules: RoomVersionRules, why: string): AuthVerdict {
  return { allowed: false, reason: `rule ${numberOrUnknown(path, rules)} (${path}): ${why}` };
}

/** A rejection must never turn into an exception, even for a path the tree lacks (tests catch those). */
function numberOrUnknown(path: string, rules: RoomVersionRules): string {
  try {
    return ruleNumber(path, rules);
  } catch {
    return '?';
  }
}
