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
  handle: async ({ params, query, body, requester }, deps) => {
    const roomId = await resolveRoomIdOrAlias(deps, params.roomIdOrAlias!);
    // "via" (v1.12), and the older "server_name": the servers to knock on a remote room through.
    const servers = [query.via, query.server_name].flat().filter((server): server is string => typeof server === 'string');
    await deps.membership.knock(requester, roomId, body.reason, servers);
    return { room_id: roomId };
  },
});
