/**
 * Server discovery documents: client-server-api "GET /.well-known/matrix/client" and
 * server-server-api "GET /.well-known/matrix/server" (served only when serve_server_wellknown is on).
 */
import { MatrixError } from '../core/errors.ts';
import { defineEndpoint } from './endpoint.ts';

export const getClientWellKnown = defineEndpoint({
  method: 'GET',
  path: '/.well-known/matrix/client',
  resources: ['client'],
  auth: 'none',
  handle: (_request, deps) => ({ ...deps.extraWellKnownClientContent, 'm.homeserver': { base_url: deps.publicBaseurl.replace(/\/$/, '') } }),
});

export const getServerWellKnown = defineEndpoint({
  method: 'GET',
  path: '/.well-known/matrix/server',
  resources: ['client'],
  auth: 'none',
  handle: (_request, deps) => {
    if (!deps.serveServerWellKnown) throw new MatrixError('M_NOT_FOUND', '.well-known/matrix/server is not served by this server');
    const url = new URL(deps.publicBaseurl);
    return { 'm.server': `${url.hostname}:${url.port || 443}` };
  },
});
