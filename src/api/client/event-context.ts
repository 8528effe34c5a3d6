/** client-server-api "GET /rooms/{roomId}/context/{eventId}" (data/api/client-server/event_context.yaml). */
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { parseRoomEventFilter } from '../sync-filter.ts';
import { roomIdParam } from './room-request.ts';

export const getEventContext = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/context/:eventId',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, query, requester }, deps) => {
    const limit = query.limit === undefined ? 10 : Number(query.limit);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new MatrixError('M_INVALID_PARAM', 'limit must be a non-negative integer');
    return deps.roomReads.context(requester, roomIdParam(params.roomId), params.eventId!, limit, parseRoomEventFilter(query.filter));
  },
});
