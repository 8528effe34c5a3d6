/** client-server-api "End-to-End Encryption" key APIs (data/api/client-server/keys.yaml): upload, query, claim, changes. */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { parseSyncToken } from '../../services/sync/sync-token.ts';
import { defineEndpoint } from '../endpoint.ts';

const signatures = z.record(z.string(), z.record(z.string(), z.string()));
// definitions/device_keys.yaml
const deviceKeys = z.looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures,
});
const keyMap = z.record(z.string(), z.union([z.string(), z.looseObject({ key: z.string() })]));

export const uploadKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/upload',
  resources: ['client'],
  auth: 'user',
  body: z.object({ device_keys: deviceKeys.optional(), one_time_keys: keyMap.optional(), fallback_keys: keyMap.optional() }),
  handle: ({ requester, body }, deps) => deps.deviceKeys.upload(requester, body),
});

export const queryKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/query',
  resources: ['client'],
  auth: 'user',
  body: z.object({ device_keys: z.record(z.string(), z.array(z.string())), timeout: z.number().int().nonnegative().optional() }),
  handle: ({ body, requester }, deps) => deps.deviceKeys.query(requester.userId, body.device_keys, body.timeout),
});

export const claimKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/claim',
  resources: ['client'],
  auth: 'user',
  body: z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().int().nonnegative().optional() }),
  handle: ({ body }, deps) => deps.deviceKeys.claim(body.one_time_keys, body.timeout),
});

/**
 * GET /keys/changes: users whose device lists changed between two /sync tokens, and users who no
 * longer share a room, with the semantics of the device_lists section of /sync.
 */
export const getKeysChanges = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/keys/changes',
  resources: ['client'],
  auth: 'user',
  handle: ({ query, requester }, deps) => {
    const token = (name: 'from' | 'to') => {
      const value = query[name];
      if (typeof value !== 'string' || value === '') throw new MatrixError('M_MISSING_PARAM', `The ${name} parameter is required`);
      return parseSyncToken(value);
    };
    return deps.deviceKeys.listChanges(requester.userId, token('from'), token('to'));
  },
});
