/**
 * The numbers of the authorization rules, which shift between room versions as rules come and go
 * (rooms/v1 numbers `m.room.member` 5, v6 makes it 4, v12 makes it 5 again). Rejection reasons
 * cite the number the event's own room version page uses, so a reason can be looked up directly.
 * Rules are named by dotted paths such as `member.join.banned`.
 */
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';

type RuleNode = readonly [name: string, present: (rules: RoomVersionRules) => boolean, children?: readonly RuleNode[]];

const always = (): boolean => true;
const leaf = (name: string, present: (rules: RoomVersionRules) => boolean = always): RuleNode => [name, present];
const leaves = (...names: string[]): RuleNode[] => names.map((name) => leaf(name));

const ruleTree: readonly RuleNode[] = [
  ['create', always, [
    leaf('prev-events'),
    leaf('room-id'), // v1–v11: its domain is the sender's; v12: it must be absent.
    leaf('room-version'),
    leaf('additional-creators', (r) => r.privilegedCreators),
    leaf('creator', (r) => !r.creatorFromSender),
    leaf('allow'),
  ]],
  leaf('room-id-is-create', (r) => r.roomIdFormat === 'create-event-reference-hash'),
  // rooms/v12 numbers these 3.1, 3.2, 3.3, 3.5: the missing-create rule keeps its number there.
  ['auth-events', always, leaves('duplicates', 'selection', 'rejected', 'missing-create', 'room-id')],
  leaf('federate'),
  ['aliases', (r) => r.specialCaseAliasesAuth, leaves('no-state-key', 'domain', 'allow')],
  ['member', always, [
    leaf('fields'),
    leaf('join-authorised-via-signature', (r) => r.restrictedJoins),
    ['join', always, [
      leaf('creator'),
      leaf('not-self'),
      leaf('banned'),
      leaf('invite'),
      ['restricted', (r) => r.restrictedJoins, leaves('invited-or-joined', 'authorising-user', 'allow')],
      leaf('public'),
      leaf('otherwise'),
    ]],
    ['invite', always, [
      ['third-party', always, leaves('banned', 'no-signed', 'signed-fields', 'mxid', 'no-invite-event', 'sender', 'signature', 'otherwise')],
      ...leaves('sender-not-joined', 'target-joined-or-banned', 'power', 'otherwise'),
    ]],
    ['leave', always, leaves('self', 'sender-not-joined', 'target-banned', 'kick', 'otherwise')],
    ['ban', always, leaves('sender-not-joined', 'power', 'otherwise')],
    ['knock', (r) => r.knocking, leaves('join-rule', 'not-self', 'membership', 'otherwise')],
    leaf('unknown'),
  ]],
  leaf('sender-joined'),
  leaf('third-party-invite'),
  leaf('required-power'),
  leaf('state-key'),
  ['power-levels', always, [
    leaf('named-integers', (r) => r.integerPowerLevels),
    leaf('maps-integers', (r) => r.integerPowerLevels),
    leaf('users'),
    leaf('creators', (r) => r.privilegedCreators),
    ...leaves('no-previous', 'named', 'events-removed', 'events-added', 'users-removed', 'users-added', 'allow'),
  ]],
  ['redaction', (r) => r.redactionAuthRule, leaves('redact-level', 'same-domain', 'otherwise')],
  leaf('allow'),
];

/** The number (`"5.3.3"`) of the rule at `path` in `rules`' room version; throws for a path no version has. */
export function ruleNumber(path: string, rules: RoomVersionRules): string {
  const numbers: number[] = [];
  let level: readonly RuleNode[] | undefined = ruleTree;
  for (const name of path.split('.')) {
    const present: readonly RuleNode[] = (level ?? []).filter(([, isPresent]) => isPresent(rules));
    const index = present.findIndex(([nodeName]) => nodeName === name);
    const node = present[index];
    if (!node) throw new Error(`No authorization rule ${path} in room version ${rules.id}`);
    numbers.push(index + 1);
    level = node[2];
  }
  return numbers.join('.');
}

/** Every rule path of the tree, for tests. */
export function allRulePaths(): string[] {
  const paths: string[] = [];
  const walk = (nodes: readonly RuleNode[], prefix: string): void => {
    for (const [name, , children] of nodes) {
      paths.push(prefix + name);
      if (children) walk(children, `${prefix}${name}.`);
    }
  };
  walk(ruleTree, '');
  return paths;
}
