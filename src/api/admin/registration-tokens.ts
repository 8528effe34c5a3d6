/**
 * Synapse's registration token admin API (/_synapse/admin/v1/registration_tokens), for the tokens of
 * client-server-api "Token-authenticated registration". Server administrators only.
 */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import type { RegistrationToken } from '../../services/accounts/registration-tokens.ts';
import { defineEndpoint } from '../endpoint.ts';
import { requireAdmin } from './require-admin.ts';

const base = '/_synapse/admin/v1/registration_tokens';

export const listRegistrationTokens = defineEndpoint({
  method: 'GET',
  path: base,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, query }, deps) => {
    requireAdmin(requester);
    const valid = query.valid === undefined ? undefined : parseBoolean(query.valid);
    return { registration_tokens: (await deps.registrationTokens.list(valid)).map(toJson) };
  },
});

export const createRegistrationToken = defineEndpoint({
  method: 'POST',
  path: `${base}/new`,
  resources: ['client'],
  auth: 'user',
  body: z.object({
    token: z.string().optional(),
    length: z.number().int().optional(),
    uses_allowed: z.number().int().nullable().optional(),
    expiry_time: z.number().int().nullable().optional(),
  }),
  handle: async ({ requester, body }, deps) => {
    requireAdmin(requester);
    const created = await deps.registrationTokens.create({ token: body.token, length: body.length, usesAllowed: body.uses_allowed, expiryTime: body.expiry_time });
    return toJson(created);
  },
});

export const getRegistrationToken = defineEndpoint({
  method: 'GET',
  path: `${base}/:token`,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => {
    requireAdmin(requester);
    return toJson(await deps.registrationTokens.get(params.token!));
  },
});

export const updateRegistrationToken = defineEndpoint({
  method: 'PUT',
  path: `${base}/:token`,
  resources: ['client'],
  auth: 'user',
  body: z.object({ uses_allowed: z.number().int().nullable().optional(), expiry_time: z.number().int().nullable().optional() }),
  handle: async ({ requester, params, body }, deps) => {
    requireAdmin(requester);
    return toJson(await deps.registrationTokens.update(params.token!, { usesAllowed: body.uses_allowed, expiryTime: body.expiry_time }));
  },
});

export const deleteRegistrationToken = defineEndpoint({
  method: 'DELETE',
  path: `${base}/:token`,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => {
    requireAdmin(requester);
    await deps.registrationTokens.delete(params.token!);
    return {};
  },
});

function parseBoolean(value: string | string[]): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new MatrixError('M_INVALID_PARAM', 'valid must be true or false');
}

function toJson(token: RegistrationToken) {
  return { token: token.token, uses_allowed: token.usesAllowed, pending: token.pending, completed: token.completed, expiry_time: token.expiryTime };
}
