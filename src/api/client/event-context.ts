/** client-server-api "GET /rooms/{roomId}/context/{eventId}" (data/api/client-server/event_context.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { parseRoomEventFilter } from '../sync-filter.ts';
import { roomIdParam } from './room-request.ts';

export const getEventContext = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/context/:eventId',
  resources: ['client'],
  auth: 'user',
  query: z.object({ limit: queryParam.count.default(10), filter: z.string().optional() }),
  handle: ({ params, query, requester }, deps) =>
    deps.roomReads.context(requester, roomIdParam(params.roomId), params.eventId!, query.limit, parseRoomEventFilter(query.filter)),
});
