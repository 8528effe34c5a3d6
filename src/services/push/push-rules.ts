/**
 * Push rules (client-server-api "Push Rules: API"). A user's ruleset is their own rules merged with
 * the server-default rules of the spec: user rules outrank defaults of the same kind, except
 * .m.rule.master, which outranks everything. Every change advances the push_rules stream, so /sync
 * can deliver the new m.push_rules account data.
 */
import { MatrixError } from '../../core/errors.ts';
import { isRoomId, isUserId } from '../../core/ids/identifiers.ts';
import { defaultOverrideRules, defaultUnderrideRules } from '../../core/push/default-rules.ts';
import { pushRuleKinds, type PushAction, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from '../../core/push/push-rule.ts';
import type { StoredPushRule } from '../../storage/repositories/push-rules.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import type { ServerEvents } from '../server-events.ts';

export interface RuleDefinition {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export class PushRules {
  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
  ) {}

  /** `storage` is a transaction's repositories when called from inside one (the push actions hook). */
  async ruleset(userId: string, storage: Repositories = this.storage): Promise<PushRuleset> {
    const [own, changes] = await Promise.all([storage.pushRules.rules(userId), storage.pushRules.defaultChanges(userId)]);
    const changed = new Map(changes.map((c) => [c.ruleId, c]));
    const withChanges = (rule: PushRule): PushRule => {
      const change = changed.get(rule.rule_id);
      return { ...rule, enabled: change?.enabled ?? rule.enabled, actions: change?.actions ?? rule.actions };
    };
    const ownOf = (kind: PushRuleKind) => own.filter((r) => r.kind === kind).map(toPushRule);
    const [master, ...overrides] = defaultOverrideRules(userId).map(withChanges);
    return {
      override: [master!, ...ownOf('override'), ...overrides],
      content: ownOf('content'),
      room: ownOf('room'),
      sender: ownOf('sender'),
      underride: [...ownOf('underride'), ...defaultUnderrideRules().map(withChanges)],
    };
  }

  async rule(userId: string, kind: string, ruleId: string): Promise<PushRule> {
    const rule = (await this.ruleset(userId))[checkKind(kind)].find((r) => r.rule_id === ruleId);
    if (!rule) throw new MatrixError('M_NOT_FOUND', 'Unknown push rule');
    return rule;
  }

  /** Creates or updates a user rule, placed most important or relative to `before`/`after`. */
  async setRule(userId: string, kind: string, ruleId: string, definition: RuleDefinition, position: { before?: string; after?: string }): Promise<void> {
    const ruleKind = checkKind(kind);
    checkUserRuleId(ruleKind, ruleId);
    if (ruleKind === 'content' && definition.pattern === undefined) throw new MatrixError('M_MISSING_PARAM', 'Content rules need a pattern');
    await this.change(userId, async (tx) => {
      const rules = (await tx.pushRules.rules(userId)).filter((r) => r.kind === ruleKind);
      const existing = rules.find((r) => r.ruleId === ruleId);
      const others = rules.filter((r) => r.ruleId !== ruleId);
      const updated: StoredPushRule = {
        kind: ruleKind,
        ruleId,
        priority: 0,
        actions: definition.actions,
        conditions: ruleKind === 'override' || ruleKind === 'underride' ? (definition.conditions ?? []) : null,
        pattern: ruleKind === 'content' ? (definition.pattern ?? null) : null,
        enabled: existing?.enabled ?? true,
      };
      const anchor = position.before ?? position.after;
      let index = existing && anchor === undefined ? rules.indexOf(existing) : 0;
      if (anchor !== undefined) {
        const anchorIndex = others.findIndex((r) => r.ruleId === anchor);
        if (anchorIndex < 0) throw new MatrixError('M_UNKNOWN', `before/after rule not found: ${anchor}`, { status: 400 });
        index = position.before !== undefined ? anchorIndex : anchorIndex + 1;
      }
      others.splice(index, 0, updated);
      await tx.pushRules.replaceKind(userId, ruleKind, others);
    });
  }

  async deleteRule(userId: string, kind: string, ruleId: string): Promise<void> {
    const ruleKind = checkKind(kind);
    await this.change(userId, async (tx) => {
      const rules = (await tx.pushRules.rules(userId)).filter((r) => r.kind === ruleKind);
      if (!rules.some((r) => r.ruleId === ruleId)) throw new MatrixError('M_NOT_FOUND', 'Unknown push rule');
      await tx.pushRules.replaceKind(userId, ruleKind, rules.filter((r) => r.ruleId !== ruleId));
    });
  }

  async setEnabled(userId: string, kind: string, ruleId: string, enabled: boolean): Promise<void> {
    await this.modify(userId, kind, ruleId, { enabled });
  }

  async setActions(userId: string, kind: string, ruleId: string, actions: PushAction[]): Promise<void> {
    await this.modify(userId, kind, ruleId, { actions });
  }

  private async modify(userId: string, kind: string, ruleId: string, change: { enabled?: boolean; actions?: PushAction[] }): Promise<void> {
    const rule = await this.rule(userId, kind, ruleId);
    await this.change(userId, async (tx) => {
      if (rule.default) return tx.pushRules.changeDefault(userId, ruleId, change);
      const rules = (await tx.pushRules.rules(userId)).filter((r) => r.kind === kind);
      await tx.pushRules.replaceKind(userId, kind as PushRuleKind, rules.map((r) => (r.ruleId === ruleId ? { ...r, ...change } : r)));
    });
  }

  private async change(userId: string, work: (tx: Repositories) => Promise<void>): Promise<void> {
    const position = await this.storage.transaction(async (tx) => {
      await work(tx);
      return tx.streamCounters.nextPosition('push_rules');
    });
    this.events.emit('pushRules', { userId, position });
  }
}

function toPushRule(rule: StoredPushRule): PushRule {
  return {
    rule_id: rule.ruleId,
    default: false,
    enabled: rule.enabled,
    actions: rule.actions,
    ...(rule.conditions === null ? {} : { conditions: rule.conditions }),
    ...(rule.pattern === null ? {} : { pattern: rule.pattern }),
  };
}

function checkKind(kind: string): PushRuleKind {
  if (!(pushRuleKinds as readonly string[]).includes(kind)) throw new MatrixError('M_INVALID_PARAM', `Unknown push rule kind ${kind}`);
  return kind as PushRuleKind;
}

/** pushrules.yaml: IDs starting with "." are the server's; room and sender rules are named by their room or user. */
function checkUserRuleId(kind: PushRuleKind, ruleId: string): void {
  if (ruleId.startsWith('.')) throw new MatrixError('M_INVALID_PARAM', 'Rule IDs starting with "." are reserved for server-default rules');
  if (/[/\\]/.test(ruleId)) throw new MatrixError('M_INVALID_PARAM', 'Rule IDs may not contain slashes');
  if (kind === 'room' && !isRoomId(ruleId)) throw new MatrixError('M_INVALID_PARAM', 'Room rules are named by a room ID');
  if (kind === 'sender' && !isUserId(ruleId, { historical: true })) throw new MatrixError('M_INVALID_PARAM', 'Sender rules are named by a user ID');
}
