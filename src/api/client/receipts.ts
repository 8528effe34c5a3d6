/** client-server-api "Receipts" (data/api/client-server/receipts.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const postReceipt = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId',
  resources: ['client'],
  auth: 'user',
  body: z.object({ thread_id: z.string().min(1).optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.receipts.sendReceipt(requester, roomIdParam(params.roomId), params.receiptType!, params.eventId!, body.thread_id);
    return {};
  },
});
