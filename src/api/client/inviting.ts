/** client-server-api "Inviting a user to a room" (data/api/client-server/inviting.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam, targetBody } from './room-request.ts';

export const inviteUser = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/invite',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'invites',
  body: targetBody,
  handle: async ({ params, body, requester }, deps) => {
    await deps.membership.invite(requester, roomIdParam(params.roomId), body.user_id, body.reason);
    return {};
  },
});
