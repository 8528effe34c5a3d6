/** client-server-api "End-to-End Encryption" key APIs (data/api/client-server/keys.yaml): upload, query, claim. */
import { z } from 'zod';
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
  handle: ({ body, requester }, deps) => deps.deviceKeys.query(requester.userId, body.device_keys),
});

export const claimKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/claim',
  resources: ['client'],
  auth: 'user',
  body: z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().int().nonnegative().optional() }),
  handle: ({ body }, deps) => deps.deviceKeys.claim(body.one_time_keys),
});
