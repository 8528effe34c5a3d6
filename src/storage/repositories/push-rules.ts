/** A user's push rules (push_rules) and changes to server-default rules (push_rule_defaults). */
import type { PushAction, PushCondition, PushRuleKind } from '../../core/push/push-rule.ts';
import type { Database } from '../database.ts';

export interface StoredPushRule {
  kind: PushRuleKind;
  ruleId: string;
  priority: number;
  conditions: PushCondition[] | null;
  actions: PushAction[];
  pattern: string | null;
  enabled: boolean;
}

export interface DefaultRuleChange {
  ruleId: string;
  enabled: boolean | null;
  actions: PushAction[] | null;
}

interface RuleRow {
  user_id: string;
  kind: PushRuleKind;
  rule_id: string;
  priority: number;
  conditions_json: string | null;
  actions_json: string;
  pattern: string | null;
  enabled: boolean | number;
}

interface DefaultRow {
  user_id: string;
  rule_id: string;
  enabled: boolean | number | null;
  actions_json: string | null;
}

const toRule = (row: RuleRow): StoredPushRule => ({
  kind: row.kind,
  ruleId: row.rule_id,
  priority: row.priority,
  conditions: row.conditions_json === null ? null : (JSON.parse(row.conditions_json) as PushCondition[]),
  actions: JSON.parse(row.actions_json) as PushAction[],
  pattern: row.pattern,
  enabled: Boolean(row.enabled),
});

export class PushRuleRepository {
  constructor(private readonly db: Database) {}

  /** The user's rules, most important first within each kind. */
  async rules(userId: string): Promise<StoredPushRule[]> {
    return (await this.db<RuleRow>('push_rules').where('user_id', userId).orderBy([{ column: 'kind' }, { column: 'priority', order: 'desc' }])).map(toRule);
  }

  async defaultChanges(userId: string): Promise<DefaultRuleChange[]> {
    const rows = await this.db<DefaultRow>('push_rule_defaults').where('user_id', userId);
    return rows.map((row) => ({ ruleId: row.rule_id, enabled: row.enabled === null ? null : Boolean(row.enabled), actions: row.actions_json === null ? null : (JSON.parse(row.actions_json) as PushAction[]) }));
  }

  /** Replaces the user's rules of one kind with `rules`, in the given order (most important first). */
  async replaceKind(userId: string, kind: PushRuleKind, rules: readonly Omit<StoredPushRule, 'kind' | 'priority'>[]): Promise<void> {
    await this.db<RuleRow>('push_rules').where({ user_id: userId, kind }).delete();
    if (rules.length === 0) return;
    await this.db<RuleRow>('push_rules').insert(
      rules.map((rule, index) => ({
        user_id: userId,
        kind,
        rule_id: rule.ruleId,
        priority: rules.length - index,
        conditions_json: rule.conditions === null ? null : JSON.stringify(rule.conditions),
        actions_json: JSON.stringify(rule.actions),
        pattern: rule.pattern,
        enabled: rule.enabled,
      })),
    );
  }

  async changeDefault(userId: string, ruleId: string, change: { enabled?: boolean; actions?: PushAction[] }): Promise<void> {
    const values: Partial<DefaultRow> = {};
    if (change.enabled !== undefined) values.enabled = change.enabled;
    if (change.actions !== undefined) values.actions_json = JSON.stringify(change.actions);
    await this.db<DefaultRow>('push_rule_defaults')
      .insert({ user_id: userId, rule_id: ruleId, enabled: null, actions_json: null, ...values })
      .onConflict(['user_id', 'rule_id'])
      .merge(Object.keys(values) as (keyof DefaultRow)[]);
  }
}
