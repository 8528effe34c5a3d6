/** client-server-api "Published room directory" (data/api/client-server/list_public_rooms.yaml). */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { publicRoomsQuery } from '../public-rooms-query.ts';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from './room-request.ts';

export const getRoomVisibilityOnDirectory = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/directory/list/room/:roomId',
  resources: ['client'],
  auth: 'none',
  handle: async ({ params }, deps) => ({ visibility: await deps.roomDirectory.visibility(roomIdParam(params.roomId)) }),
});

export const setRoomVisibilityOnDirectory = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/directory/list/room/:roomId',
  resources: ['client'],
  auth: 'user',
  body: z.object({ visibility: z.enum(['public', 'private']).optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.roomDirectory.setVisibility(requester, roomIdParam(params.roomId), body.visibility ?? 'public');
    return {};
  },
});

export const getPublicRooms = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/publicRooms',
  resources: ['client'],
  auth: 'none',
  query: z.object({ limit: queryParam.count.optional(), since: z.string().optional(), server: z.string().optional() }),
  handle: ({ query }, deps) => {
    if (isOtherServer(deps, query.server)) return deps.remoteQueries.publicRooms(query.server!, { limit: query.limit, since: query.since });
    return deps.roomDirectory.publicRooms({ limit: query.limit, since: query.since });
  },
});

export const queryPublicRooms = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/publicRooms',
  resources: ['client'],
  auth: 'user',
  body: publicRoomsQuery,
  handle: ({ query, body }, deps) => {
    const server = typeof query.server === 'string' ? query.server : undefined;
    if (isOtherServer(deps, server)) return deps.remoteQueries.publicRooms(server!, body);
    return deps.roomDirectory.publicRooms({ limit: body.limit, since: body.since, searchTerm: body.filter?.generic_search_term, roomTypes: body.filter?.room_types });
  },
});

/** `server`: another server's directory, read over federation (server-server-api "Public Room Directory"). */
function isOtherServer(deps: ApiDependencies, server: string | string[] | undefined): boolean {
  if (Array.isArray(server)) throw new MatrixError('M_INVALID_PARAM', 'One server at a time');
  return server !== undefined && server !== deps.serverName;
}
