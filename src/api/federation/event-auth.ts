/** server-server-api "Retrieving event authorisation information" (event_auth.yaml). */
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from '../client/room-request.ts';

export const getEventAuth = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/event_auth/:roomId/:eventId',
  resources: ['federation'],
  auth: 'server',
  handle: ({ params, origin }, deps) => deps.roomReadsForServers.eventAuth(origin, roomIdParam(params.roomId), params.eventId!),
});
