/** client-server-api "GET /rooms/{roomId}/timestamp_to_event" (data/api/client-server/room_event_by_timestamp.yaml). */
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const getEventByTimestamp = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/rooms/:roomId/timestamp_to_event',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, query, requester }, deps) => {
    const ts = Number(query.ts);
    if (typeof query.ts !== 'string' || !Number.isSafeInteger(ts) || ts < 0) throw new MatrixError('M_INVALID_PARAM', 'ts must be a timestamp in milliseconds');
    if (query.dir !== 'f' && query.dir !== 'b') throw new MatrixError('M_INVALID_PARAM', 'dir must be "f" or "b"');
    return deps.roomReads.eventAtTimestamp(requester, roomIdParam(params.roomId), ts, query.dir);
  },
});
