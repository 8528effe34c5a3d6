/** client-server-api "PUT /rooms/{roomId}/state/{eventType}/{stateKey}" (data/api/client-server/room_state.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const setRoomState = defineEndpoint({
  method: 'PUT',
  // The state key may be empty, and then the trailing slash is optional.
  path: '/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'message',
  body: z.record(z.string(), z.unknown()),
  handle: ({ params, body, requester }, deps) => deps.roomSending.sendState(requester, roomIdParam(params.roomId), params.eventType!, params.stateKey ?? '', body),
});
