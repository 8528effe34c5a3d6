/** client-server-api "GET /account/whoami" (data/api/client-server/whoami.yaml). */
import { defineEndpoint } from '../endpoint.ts';

export const whoami = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/account/whoami',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester }) => ({ user_id: requester.userId, device_id: requester.deviceId, is_guest: false }),
});
