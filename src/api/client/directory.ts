/** client-server-api "Room aliases" (data/api/client-server/directory.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const setRoomAlias = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/directory/room/:roomAlias',
  resources: ['client'],
  auth: 'user',
  body: z.object({ room_id: z.string() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.roomAliases.create(requester, params.roomAlias!, body.room_id);
    return {};
  },
});

export const getRoomIdByAlias = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/directory/room/:roomAlias',
  resources: ['client'],
  auth: 'none',
  handle: ({ params }, deps) => deps.roomAliases.resolve(params.roomAlias!),
});

export const deleteRoomAlias = defineEndpoint({
  method: 'DELETE',
  path: '/_matrix/client/v3/directory/room/:roomAlias',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => {
    await deps.roomAliases.delete(requester, params.roomAlias!);
    return {};
  },
});

export const getLocalAliases = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/aliases',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => ({ aliases: await deps.roomAliases.ofRoom(requester, roomIdParam(params.roomId)) }),
});
