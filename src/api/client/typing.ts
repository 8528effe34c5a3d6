/** client-server-api "Typing Notifications" (data/api/client-server/typing.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const setTyping = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/:roomId/typing/:userId',
  resources: ['client'],
  auth: 'user',
  body: z.object({ typing: z.boolean(), timeout: z.number().int().min(0).optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.typing.setTyping(requester, roomIdParam(params.roomId), params.userId!, body.typing, body.timeout);
    return {};
  },
});
