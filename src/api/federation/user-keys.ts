/** server-server-api "End-to-End Encryption" (user_keys.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const queryUserEncryptionKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/query',
  resources: ['federation'],
  auth: 'server',
  body: z.object({ device_keys: z.record(z.string(), z.array(z.string())) }),
  handle: ({ body }, deps) => deps.userKeysForServers.query(body.device_keys),
});

export const claimUserEncryptionKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/claim',
  resources: ['federation'],
  auth: 'server',
  body: z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())) }),
  handle: ({ body }, deps) => deps.userKeysForServers.claim(body.one_time_keys),
});
