/** server-server-api "GET /_matrix/federation/v1/version". */
import { serverSoftware } from '../../version.ts';
import { defineEndpoint } from '../endpoint.ts';

export const getFederationVersion = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/version',
  resources: ['federation'],
  auth: 'none',
  handle: () => ({ server: { name: serverSoftware.name, version: serverSoftware.version } }),
});
