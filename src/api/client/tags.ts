/** client-server-api "Room Tagging" (data/api/client-server/tags.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const getRoomTags = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/user/:userId/rooms/:roomId/tags',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => ({ tags: await deps.accountData.tags(requester, params.userId!, params.roomId!) }),
});

export const setRoomTag = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/user/:userId/rooms/:roomId/tags/:tag',
  resources: ['client'],
  auth: 'user',
  body: z.looseObject({ order: z.number().optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.accountData.setTag(requester, params.userId!, params.roomId!, params.tag!, body);
    return {};
  },
});

export const deleteRoomTag = defineEndpoint({
  method: 'DELETE',
  path: '/_matrix/client/v3/user/:userId/rooms/:roomId/tags/:tag',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => {
    await deps.accountData.deleteTag(requester, params.userId!, params.roomId!, params.tag!);
    return {};
  },
});
