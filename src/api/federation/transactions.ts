/** server-server-api "Transactions" (transactions.yaml): PUT /send/{txnId}. */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';

export const sendTransaction = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/federation/v1/send/:txnId',
  resources: ['federation'],
  auth: 'server',
  // "Transactions are limited in size; they can have at most 50 PDUs and 100 EDUs."
  body: z.looseObject({
    origin: z.string(),
    origin_server_ts: z.number().int(),
    pdus: z.array(z.unknown()).max(50),
    edus: z.array(z.unknown()).max(100).optional(),
  }),
  handle: async ({ params, body, origin }, deps) => {
    if (body.origin !== origin) throw new MatrixError('M_FORBIDDEN', 'The transaction origin is not the server that signed the request');
    return deps.transactionReceiver.receive(origin, params.txnId!, body);
  },
});
