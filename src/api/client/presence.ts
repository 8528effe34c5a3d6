/** client-server-api "Presence" (data/api/client-server/presence.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const setPresence = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/presence/:userId/status',
  resources: ['client'],
  auth: 'user',
  body: z.object({ presence: z.enum(['online', 'offline', 'unavailable']), status_msg: z.string().max(1024).optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.presence.setStatus(requester, params.userId!, body.presence, body.status_msg);
    return {};
  },
});

export const getPresence = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/presence/:userId/status',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, requester }, deps) => deps.presence.getStatus(requester, params.userId!),
});
