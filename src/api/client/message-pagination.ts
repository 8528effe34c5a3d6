/** client-server-api "GET /rooms/{roomId}/messages" (data/api/client-server/message_pagination.yaml). */
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { parseRoomEventFilter } from '../sync-filter.ts';
import { roomIdParam } from './room-request.ts';

export const getRoomEvents = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/messages',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, query, requester }, deps) => {
    const dir = query.dir;
    if (dir !== 'b' && dir !== 'f') throw new MatrixError('M_INVALID_PARAM', 'dir must be "b" or "f"');
    const limit = query.limit === undefined ? 10 : Number(query.limit);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new MatrixError('M_INVALID_PARAM', 'limit must be a non-negative integer');
    return deps.roomReads.messages(requester, roomIdParam(params.roomId), {
      from: typeof query.from === 'string' ? query.from : undefined,
      to: typeof query.to === 'string' ? query.to : undefined,
      dir,
      limit,
      filter: parseRoomEventFilter(query.filter),
    });
  },
});
