/** client-server-api "Push notifications": pushers (data/api/client-server/pusher.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const getPushers = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/pushers',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => ({ pushers: await deps.pushers.list(requester) }),
});

export const postPusher = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/pushers/set',
  resources: ['client'],
  auth: 'user',
  body: z.object({
    kind: z.string().nullable(),
    app_id: z.string().min(1).max(64),
    pushkey: z.string().min(1).max(512),
    app_display_name: z.string().optional(),
    device_display_name: z.string().optional(),
    profile_tag: z.string().max(32).optional(),
    lang: z.string().max(20).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    append: z.boolean().optional(),
  }),
  handle: async ({ body, requester }, deps) => {
    await deps.pushers.set(requester, body);
    return {};
  },
});
