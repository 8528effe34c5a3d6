/** client-server-api "PUT /rooms/{roomId}/send/{eventType}/{txnId}" (data/api/client-server/room_send.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const sendMessage = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'message',
  body: z.record(z.string(), z.unknown()),
  handle: async ({ params, body, requester }, deps) => {
    const sent = await deps.roomSending.sendMessage(requester, roomIdParam(params.roomId), params.eventType!, body, params.txnId!);
    // client-server-api "Last active ago": sending a message is a pro-active event.
    await deps.presence.userActive(requester.userId);
    return sent;
  },
});
