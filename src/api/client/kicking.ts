/** client-server-api "Kicking users" (data/api/client-server/kicking.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam, targetBody } from './room-request.ts';

export const kick = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/kick',
  resources: ['client'],
  auth: 'user',
  body: targetBody,
  handle: async ({ params, body, requester }, deps) => {
    await deps.membership.kick(requester, roomIdParam(params.roomId), body.user_id, body.reason);
    return {};
  },
});
