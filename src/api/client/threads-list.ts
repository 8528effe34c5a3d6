/** threading "Querying threads in a room": GET /rooms/{roomId}/threads (data/api/client-server/threads_list.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from './room-request.ts';

export const getThreadRoots = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/rooms/:roomId/threads',
  resources: ['client'],
  auth: 'user',
  // threads_list.yaml: "Servers should apply a default value" (Synapse: 5).
  query: z.object({ include: z.enum(['all', 'participated']).default('all'), from: z.string().optional(), limit: queryParam.count.default(5) }),
  handle: ({ params, query, requester }, deps) => deps.relations.threads(requester, roomIdParam(params.roomId), query),
});
