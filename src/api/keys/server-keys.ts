/** server-server-api "GET /_matrix/key/v2/server": this server's signed verify keys. */
import { defineEndpoint } from '../endpoint.ts';

export const getServerKeys = defineEndpoint({
  method: 'GET',
  path: '/_matrix/key/v2/server',
  resources: ['federation', 'keys'],
  auth: 'none',
  handle: (_request, deps) => deps.serverKeys.keysDocument(),
});

