/** server-server-api "Spaces" (space_hierarchy.yaml): GET /v1/hierarchy/{roomId}. */
import { z } from 'zod';
import type { RoomId } from '../../core/ids/identifiers.ts';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';

export const getHierarchy = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/hierarchy/:roomId',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ suggested_only: queryParam.boolean.default(false) }),
  handle: ({ params, query, origin }, deps) => deps.spaceHierarchy.forServer(origin, params.roomId as RoomId, query.suggested_only),
});
