/** server-server-api "Backfilling and retrieving missing events" (backfill.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from '../client/room-request.ts';

export const backfillRoom = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/backfill/:roomId',
  resources: ['federation'],
  auth: 'server',
  // `v` is repeated once per event ID.
  query: z.object({
    v: z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? [v] : v)),
    limit: queryParam.count,
  }),
  handle: ({ params, query, origin }, deps) => deps.roomReadsForServers.backfill(origin, roomIdParam(params.roomId), query.v, query.limit),
});

export const getMissingPreviousEvents = defineEndpoint({
  method: 'POST',
  path: '/_matrix/federation/v1/get_missing_events/:roomId',
  resources: ['federation'],
  auth: 'server',
  body: z.object({
    earliest_events: z.array(z.string()),
    latest_events: z.array(z.string()),
    limit: z.number().int().optional(),
    min_depth: z.number().int().optional(),
  }),
  handle: ({ params, body, origin }, deps) =>
    deps.roomReadsForServers.missingEvents(origin, roomIdParam(params.roomId), {
      earliestEvents: body.earliest_events,
      latestEvents: body.latest_events,
      limit: body.limit,
      minDepth: body.min_depth,
    }),
});
