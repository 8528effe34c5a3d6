/** client-server-api "Knocking on rooms" (data/api/client-server/knocking.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { reasonBody, resolveRoomIdOrAlias } from './room-request.ts';

export const knockRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/knock/:roomIdOrAlias',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'joins',
  body: reasonBody,
  handle: async ({ params, body, requester }, deps) => {
    const roomId = await resolveRoomIdOrAlias(deps, params.roomIdOrAlias!);
    await deps.membership.knock(requester, roomId, body.reason);
    return { room_id: roomId };
  },
});
