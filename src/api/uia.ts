/**
 * User-Interactive Authentication for endpoints that act on the requester's own account: the password
 * stage, bound to the user, the endpoint and a digest of the request body (never the body itself,
 * which may hold a new password).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.ts';
import type { Requester } from '../services/accounts/accounts.ts';
import type { ApiDependencies } from './dependencies.ts';

const passwordFlows = [{ stages: ['m.login.password'] }];

export async function requirePassword(deps: ApiDependencies, requester: Requester, endpoint: string, body: { auth?: unknown } & object): Promise<void> {
  const { auth, ...request } = body;
  await deps.userInteractiveAuth.authenticate({ auth, flows: passwordFlows, userId: requester.userId, operation: `${endpoint} ${requester.userId} ${requestDigest(request)}` });
}

/** A digest of a request body with its keys in a fixed order, to tie a UIA session to one request. */
export function requestDigest(request: object): string {
  return createHash('sha256').update(deterministicJson(request)).digest('base64url');
}

/** Canonical JSON where possible; a body with floats, which canonical JSON refuses, is digested as sent. */
function deterministicJson(value: object): string {
  try {
    return canonicalJson(value);
  } catch {
    return JSON.stringify(value);
  }
}
