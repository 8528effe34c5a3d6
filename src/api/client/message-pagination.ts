/** client-server-api "GET /rooms/{roomId}/messages" (data/api/client-server/message_pagination.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { parseRoomEventFilter } from '../sync-filter.ts';
import { roomIdParam } from './room-request.ts';

export const getRoomEvents = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/messages',
  resources: ['client'],
  auth: 'user',
  query: z.object({ dir: queryParam.direction, from: z.string().optional(), to: z.string().optional(), limit: queryParam.count.default(10), filter: z.string().optional() }),
  handle: ({ params, query, requester }, deps) =>
    deps.roomReads.messages(requester, roomIdParam(params.roomId), { ...query, filter: parseRoomEventFilter(query.filter) }),
});
