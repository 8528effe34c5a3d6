/** client-server-api "Cross-signing" (data/api/client-server/cross_signing.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { requirePassword } from '../uia.ts';

// definitions/cross_signing_key.yaml
const crossSigningKey = z.looseObject({
  user_id: z.string(),
  usage: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});

export const uploadCrossSigningKeys = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/device_signing/upload',
  resources: ['client'],
  auth: 'user',
  body: z.object({
    auth: z.record(z.string(), z.unknown()).optional(),
    master_key: crossSigningKey.optional(),
    self_signing_key: crossSigningKey.optional(),
    user_signing_key: crossSigningKey.optional(),
  }),
  handle: async ({ requester, body }, deps) => {
    const { auth, ...keys } = body;
    if (await deps.crossSigning.needsAuthentication(requester.userId, keys)) {
      await requirePassword(deps, requester, 'POST /keys/device_signing/upload', body);
    }
    await deps.crossSigning.upload(requester, keys);
    return {};
  },
});

export const uploadSignatures = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/keys/signatures/upload',
  resources: ['client'],
  auth: 'user',
  body: z.record(z.string(), z.record(z.string(), z.looseObject({}))),
  handle: ({ requester, body }, deps) => deps.crossSigning.uploadSignatures(requester, body),
});
