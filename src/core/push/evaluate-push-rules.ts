/**
 * Push rule evaluation (client-server-api "Push Rules", "Conditions", "Actions"; appendices "Glob-style
 * matching" and "Dot-separated property paths"). Rules are tried kind by kind (override, content,
 * room, sender, underride) and in order within a kind; the first enabled rule that matches decides
 * the actions. Pure: the caller supplies what the conditions need beyond the event (the owner's
 * display name, the member count, power levels), so one event can be evaluated for many users cheaply.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { pushRuleKinds, type PushAction, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from './push-rule.ts';
import { parseDottedPath } from '../dotted-property-paths.ts';

/** What the conditions need beyond the event, for the user whose ruleset is evaluated. */
export interface PushContext {
  /** The owner's display name in the room (`contains_display_name`). */
  displayName: string | undefined;
  /** The number of joined members (`room_member_count`). */
  memberCount: number;
  /** The sender's power level (`sender_notification_permission`). */
  senderPowerLevel: number;
  /** The level `notifications[key]` of the power levels requires (`room` defaults to 50). */
  notificationPowerLevel(key: string): number;
}

export interface PushMatch {
  kind: PushRuleKind;
  ruleId: string;
  actions: PushAction[];
}

/**
 * The rule that applies to `event` (its PDU or client JSON: `type`, `sender`, `room_id`, `content`, …)
 * and its actions, or undefined when no rule matches (then the user is not notified).
 */
export function evaluatePushRules(ruleset: PushRuleset, event: JsonObject, context: PushContext): PushMatch | undefined {
  for (const kind of pushRuleKinds) {
    for (const rule of ruleset[kind] ?? []) {
      if (rule.enabled && ruleMatches(kind, rule, event, context)) return { kind, ruleId: rule.rule_id, actions: withoutHistoricalActions(rule.actions) };
    }
  }
  return undefined;
}

/** "Historical Actions": `dont_notify` and `coalesce` MUST be ignored. */
function withoutHistoricalActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((action) => action !== 'dont_notify' && action !== 'coalesce');
}

export function notifies(actions: readonly PushAction[]): boolean {
  return actions.includes('notify');
}

/** "set_tweak highlight": true when given without a value; false when not given at all. */
export function highlights(actions: readonly PushAction[]): boolean {
  return actions.some((action) => typeof action === 'object' && action.set_tweak === 'highlight' && (action.value === undefined || action.value === true));
}

function ruleMatches(kind: PushRuleKind, rule: PushRule, event: JsonObject, context: PushContext): boolean {
  switch (kind) {
    case 'override':
    case 'underride':
      // "A rule with no conditions always matches."
      return (rule.conditions ?? []).every((condition) => conditionMatches(condition, event, context));
    case 'content':
      return typeof rule.pattern === 'string' && globMatches(rule.pattern, valueAt(event, ['content', 'body']), 'words');
    case 'room':
      return rule.rule_id === event.room_id;
    case 'sender':
      return rule.rule_id === event.sender;
  }
}

/** One condition; "Unrecognised conditions MUST NOT match any events". */
export function conditionMatches(condition: PushCondition, event: JsonObject, context: PushContext): boolean {
  switch (condition.kind) {
    case 'event_match': {
      if (typeof condition.key !== 'string' || typeof condition.pattern !== 'string') return false;
      // "As a special case, if key is content.body", the pattern matches words rather than the whole value.
      return globMatches(condition.pattern, valueAt(event, parseDottedPath(condition.key)), condition.key === 'content.body' ? 'words' : 'whole');
    }
    case 'event_property_is': {
      if (typeof condition.key !== 'string' || !isSimpleValue(condition.value)) return false;
      const value = valueAt(event, parseDottedPath(condition.key));
      return isSimpleValue(value) && value === condition.value;
    }
    case 'event_property_contains': {
      if (typeof condition.key !== 'string' || !isSimpleValue(condition.value)) return false;
      const value = valueAt(event, parseDottedPath(condition.key));
      return Array.isArray(value) && value.some((item) => isSimpleValue(item) && item === condition.value);
    }
    case 'contains_display_name': {
      const name = context.displayName;
      const body = stringAt(event, ['content', 'body']);
      return name !== undefined && name !== '' && body !== undefined && cachedRegExp('name', name, () => wordPattern(escapeRegExp(name))).test(body);
    }
    case 'room_member_count':
      return typeof condition.is === 'string' && memberCountMatches(condition.is, context.memberCount);
    case 'sender_notification_permission':
      return typeof condition.key === 'string' && context.senderPowerLevel >= context.notificationPowerLevel(condition.key);
    default:
      return false;
  }
}

/** room_member_count `is`: a decimal integer, optionally prefixed by ==, <, >, >= or <= (default ==). */
function memberCountMatches(is: string, count: number): boolean {
  const parsed = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!parsed) return false;
  const bound = Number(parsed[2]);
  switch (parsed[1] ?? '==') {
    case '<':
      return count < bound;
    case '>':
      return count > bound;
    case '<=':
      return count <= bound;
    case '>=':
      return count >= bound;
    default:
      return count === bound;
  }
}

/**
 * event_property_is/contains: "non-compound canonical JSON values": strings, integers in
 * [-(2**53)+1, (2**53)-1], booleans and null.
 */
function isSimpleValue(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** The property at `path` (through objects only), or undefined when absent. */
function valueAt(event: JsonObject, path: readonly string[]): unknown {
  let value: unknown = event;
  for (const name of path) {
    if (!isJsonObject(value) || !Object.hasOwn(value, name)) return undefined;
    value = value[name];
  }
  return value;
}

function stringAt(event: JsonObject, path: readonly string[]): string | undefined {
  const value = valueAt(event, path);
  return typeof value === 'string' ? value : undefined;
}

const compiledPatterns = new Map<string, RegExp>();

/**
 * event_match: case-insensitive glob (`*` any run, `?` one character) against the whole value, or for
 * `content.body` against any substring starting and ending at a word boundary (the value's ends or a
 * character outside [A-Za-z0-9_]). Absent or non-string values never match, even for `*`.
 */
function globMatches(pattern: string, value: unknown, mode: 'whole' | 'words'): boolean {
  if (typeof value !== 'string') return false;
  const regex = cachedRegExp(mode, pattern, () => {
    const body = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : escapeRegExp(char))).join('');
    return mode === 'whole' ? new RegExp(`^${body}$`, 'isu') : wordPattern(body);
  });
  return regex.test(value);
}

/** Patterns and display names recur for every event and user: compile each once (bounded). */
function cachedRegExp(mode: string, source: string, compile: () => RegExp): RegExp {
  const key = `${mode}\u0000${source}`;
  let regex = compiledPatterns.get(key);
  if (!regex) {
    regex = compile();
    if (compiledPatterns.size >= 2_000) compiledPatterns.clear();
    compiledPatterns.set(key, regex);
  }
  return regex;
}

function wordPattern(body: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_])${body}(?![A-Za-z0-9_])`, 'isu');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\^$\\.*+?()[\]{}|/]/g, '\\$&');
}
