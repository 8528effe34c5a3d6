/** client-server-api "GET /_matrix/client/versions" (data/api/client-server/versions.yaml). */
import { defineEndpoint } from '../endpoint.ts';

/**
 * The spec versions Lattice serves in full. A version is listed only once every endpoint it
 * requires is served; the Client-Server API endpoints arrive with the accounts and rooms work,
 * and this list grows with them.
 */
const supportedClientVersions: readonly string[] = [];

export const getVersions = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/versions',
  resources: ['client'],
  auth: 'none',
  handle: () => ({ versions: supportedClientVersions, unstable_features: {} }),
});
