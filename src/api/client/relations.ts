/**
 * client-server-api "Relationships API": GET /rooms/{roomId}/relations/{eventId}, and the same with
 * `/{relType}` and `/{relType}/{eventType}` (data/api/client-server/relations.yaml).
 */
import { z } from 'zod';
import type { Requester } from '../../services/accounts/accounts.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from './room-request.ts';

const relationsQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  // relations.yaml: "the server should apply a default value" (Synapse: 5).
  limit: queryParam.count.default(5),
  dir: queryParam.direction.default('b'),
  recurse: queryParam.boolean.optional(),
});

const handle = ({ params, query, requester }: { params: Record<string, string>; query: z.infer<typeof relationsQuery>; requester: Requester }, deps: ApiDependencies) =>
  deps.relations.relations(requester, roomIdParam(params.roomId), params.eventId!, { ...query, relType: params.relType, eventType: params.eventType });

const base = '/_matrix/client/v1/rooms/:roomId/relations/:eventId';

export const getRelatingEvents = defineEndpoint({ method: 'GET', path: base, resources: ['client'], auth: 'user', query: relationsQuery, handle });

export const getRelatingEventsWithRelType = defineEndpoint({ method: 'GET', path: `${base}/:relType`, resources: ['client'], auth: 'user', query: relationsQuery, handle });

export const getRelatingEventsWithRelTypeAndEventType = defineEndpoint({ method: 'GET', path: `${base}/:relType/:eventType`, resources: ['client'], auth: 'user', query: relationsQuery, handle });
