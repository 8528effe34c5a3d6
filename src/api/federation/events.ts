/** server-server-api "Retrieving events" (events.yaml): /event, /state, /state_ids and /timestamp_to_event. */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { roomIdParam } from '../client/room-request.ts';

export const getEvent = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/event/:eventId',
  resources: ['federation'],
  auth: 'server',
  handle: ({ params, origin }, deps) => deps.roomReadsForServers.event(origin, params.eventId!),
});

export const getRoomState = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/state/:roomId',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ event_id: z.string() }),
  handle: ({ params, query, origin }, deps) => deps.roomReadsForServers.state(origin, roomIdParam(params.roomId), query.event_id),
});

export const getRoomStateIds = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/state_ids/:roomId',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ event_id: z.string() }),
  handle: ({ params, query, origin }, deps) => deps.roomReadsForServers.stateIds(origin, roomIdParam(params.roomId), query.event_id),
});

export const getEventByTimestampForServer = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/timestamp_to_event/:roomId',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ ts: queryParam.count, dir: queryParam.direction }),
  handle: ({ params, query, origin }, deps) => deps.roomReadsForServers.eventAtTimestamp(origin, roomIdParam(params.roomId), query.ts, query.dir),
});
