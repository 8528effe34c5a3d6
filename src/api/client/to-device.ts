/** client-server-api "PUT /sendToDevice/{eventType}/{txnId}" (data/api/client-server/to_device.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const sendToDevice = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/sendToDevice/:eventType/:txnId',
  resources: ['client'],
  auth: 'user',
  body: z.object({ messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))) }),
  handle: async ({ requester, params, body }, deps) => {
    await deps.toDevice.send(requester, params.eventType!, params.txnId!, body.messages);
    return {};
  },
});
