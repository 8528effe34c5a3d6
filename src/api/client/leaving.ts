/** client-server-api "Leaving rooms" (data/api/client-server/leaving.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { reasonBody, roomIdParam } from './room-request.ts';

export const leaveRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/leave',
  resources: ['client'],
  auth: 'user',
  body: reasonBody,
  handle: async ({ params, body, requester }, deps) => {
    const roomId = roomIdParam(params.roomId);
    await deps.serverNotices.checkLeave(requester, roomId);
    await deps.membership.leave(requester, roomId, body.reason);
    return {};
  },
});

export const forgetRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/forget',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => {
    await deps.membership.forget(requester, roomIdParam(params.roomId));
    return {};
  },
});
