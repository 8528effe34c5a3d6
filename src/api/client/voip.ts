/** client-server-api "GET /voip/turnServer" (data/api/client-server/voip.yaml): empty unless TURN is configured. */
import { turnServerFor } from '../../services/voip/turn-credentials.ts';
import { defineEndpoint } from '../endpoint.ts';

export const getTurnServer = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/voip/turnServer',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester }, deps) => turnServerFor(requester.userId, deps.turn, Date.now()) ?? {},
});
