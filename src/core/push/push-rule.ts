/** Push rules as the spec defines them (data/api/client-server/definitions/push_rule.yaml, push_condition.yaml). */

export type PushRuleKind = 'override' | 'content' | 'room' | 'sender' | 'underride';
export const pushRuleKinds: readonly PushRuleKind[] = ['override', 'content', 'room', 'sender', 'underride'];

export type PushAction = string | { set_tweak: string; value?: unknown };

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  value?: unknown;
  is?: string;
}

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export type PushRuleset = Record<PushRuleKind, PushRule[]>;
