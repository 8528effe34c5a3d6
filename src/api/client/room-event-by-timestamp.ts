/** client-server-api "GET /rooms/{roomId}/timestamp_to_event" (data/api/client-server/room_event_by_timestamp.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from './room-request.ts';

export const getEventByTimestamp = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/rooms/:roomId/timestamp_to_event',
  resources: ['client'],
  auth: 'user',
  query: z.object({ ts: queryParam.count, dir: queryParam.direction }),
  handle: ({ params, query, requester }, deps) => deps.roomReads.eventAtTimestamp(requester, roomIdParam(params.roomId), query.ts, query.dir),
});
