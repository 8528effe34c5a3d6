/** server-server-api "Published Room Directory" (public_rooms.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { publicRoomsQuery } from '../public-rooms-query.ts';

export const getPublicRoomsForServer = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/publicRooms',
  resources: ['federation'],
  auth: 'server',
  // "limit: The maximum number of rooms to return. Defaults to 0 (no limit)."
  query: z.object({
    limit: queryParam.count.optional(),
    since: z.string().optional(),
    include_all_networks: queryParam.boolean.optional(),
    third_party_instance_id: z.string().optional(),
  }),
  handle: ({ query }, deps) => deps.directoryForServers.publicRooms({ limit: query.limit || undefined, since: query.since }),
});

export const queryPublicRoomsForServer = defineEndpoint({
  method: 'POST',
  path: '/_matrix/federation/v1/publicRooms',
  resources: ['federation'],
  auth: 'server',
  body: publicRoomsQuery,
  handle: ({ body }, deps) =>
    deps.directoryForServers.publicRooms({ limit: body.limit, since: body.since, searchTerm: body.filter?.generic_search_term, roomTypes: body.filter?.room_types }),
});
