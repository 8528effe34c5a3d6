/** client-server-api "Spaces" (space_hierarchy.yaml): GET /v1/rooms/{roomId}/hierarchy. */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from './room-request.ts';

export const getSpaceHierarchy = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/rooms/:roomId/hierarchy',
  resources: ['client'],
  auth: 'user',
  query: z.object({ suggested_only: queryParam.boolean.default(false), limit: queryParam.count.optional(), max_depth: queryParam.count.optional(), from: z.string().optional() }),
  handle: ({ params, query, requester }, deps) =>
    deps.spaceHierarchy.forUser(requester.userId, roomIdParam(params.roomId), { suggestedOnly: query.suggested_only, limit: query.limit, maxDepth: query.max_depth, from: query.from }),
});
