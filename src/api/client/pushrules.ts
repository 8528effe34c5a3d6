/** client-server-api "Push Rules: API" (data/api/client-server/pushrules.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

const rulePath = '/_matrix/client/v3/pushrules/global/:kind/:ruleId';
const action = z.union([z.string(), z.looseObject({ set_tweak: z.string() })]);
const condition = z.looseObject({ kind: z.string(), key: z.string().optional(), pattern: z.string().optional(), is: z.string().optional() });
const queryString = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

export const getPushRules = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => ({ global: await deps.pushRules.ruleset(requester.userId) }),
});

export const getGlobalPushRules = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/global/',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester }, deps) => deps.pushRules.ruleset(requester.userId),
});

export const getPushRule = defineEndpoint({
  method: 'GET',
  path: rulePath,
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, params }, deps) => deps.pushRules.rule(requester.userId, params.kind!, params.ruleId!),
});

export const setPushRule = defineEndpoint({
  method: 'PUT',
  path: rulePath,
  resources: ['client'],
  auth: 'user',
  body: z.object({ actions: z.array(action), conditions: z.array(condition).optional(), pattern: z.string().optional() }),
  handle: async ({ requester, params, body, query }, deps) => {
    await deps.pushRules.setRule(requester.userId, params.kind!, params.ruleId!, body, { before: queryString(query.before), after: queryString(query.after) });
    return {};
  },
});

export const deletePushRule = defineEndpoint({
  method: 'DELETE',
  path: rulePath,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => {
    await deps.pushRules.deleteRule(requester.userId, params.kind!, params.ruleId!);
    return {};
  },
});

export const getPushRuleEnabled = defineEndpoint({
  method: 'GET',
  path: `${rulePath}/enabled`,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => ({ enabled: (await deps.pushRules.rule(requester.userId, params.kind!, params.ruleId!)).enabled }),
});

export const setPushRuleEnabled = defineEndpoint({
  method: 'PUT',
  path: `${rulePath}/enabled`,
  resources: ['client'],
  auth: 'user',
  body: z.object({ enabled: z.boolean() }),
  handle: async ({ requester, params, body }, deps) => {
    await deps.pushRules.setEnabled(requester.userId, params.kind!, params.ruleId!, body.enabled);
    return {};
  },
});

export const getPushRuleActions = defineEndpoint({
  method: 'GET',
  path: `${rulePath}/actions`,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => ({ actions: (await deps.pushRules.rule(requester.userId, params.kind!, params.ruleId!)).actions }),
});

export const setPushRuleActions = defineEndpoint({
  method: 'PUT',
  path: `${rulePath}/actions`,
  resources: ['client'],
  auth: 'user',
  body: z.object({ actions: z.array(action) }),
  handle: async ({ requester, params, body }, deps) => {
    await deps.pushRules.setActions(requester.userId, params.kind!, params.ruleId!, body.actions);
    return {};
  },
});
