/** client-server-api "Redactions" (data/api/client-server/redaction.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const redactEvent = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/:roomId/redact/:eventId/:txnId',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'message',
  body: z.object({ reason: z.string().optional() }),
  handle: ({ params, body, requester }, deps) => deps.roomSending.redact(requester, roomIdParam(params.roomId), params.eventId!, params.txnId!, body.reason),
});
