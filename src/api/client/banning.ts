/** client-server-api "Banning users in a room" (data/api/client-server/banning.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam, targetBody } from './room-request.ts';

export const ban = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/ban',
  resources: ['client'],
  auth: 'user',
  body: targetBody,
  handle: async ({ params, body, requester }, deps) => {
    await deps.membership.ban(requester, roomIdParam(params.roomId), body.user_id, body.reason);
    return {};
  },
});

export const unban = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/unban',
  resources: ['client'],
  auth: 'user',
  body: targetBody,
  handle: async ({ params, body, requester }, deps) => {
    await deps.membership.unban(requester, roomIdParam(params.roomId), body.user_id, body.reason);
    return {};
  },
});
