/** client-server-api "GET /joined_rooms" (data/api/client-server/list_joined_rooms.yaml). */
import { defineEndpoint } from '../endpoint.ts';

export const getJoinedRooms = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/joined_rooms',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => ({ joined_rooms: await deps.roomReads.joinedRooms(requester) }),
});
