/** client-server-api "GET /_matrix/client/versions" (data/api/client-server/versions.yaml). */
import { defineEndpoint } from '../endpoint.ts';

/**
 * The spec versions Lattice serves. Clients gate features on this list: v1.11 switches them to the
 * authenticated media endpoints, so it is listed once those are served (with the media repository).
 */
const supportedClientVersions: readonly string[] = ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10'];

export const getVersions = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/versions',
  resources: ['client'],
  auth: 'none',
  handle: () => ({ versions: supportedClientVersions, unstable_features: {} }),
});
