/**
 * client-server-api "Third-party Networks" (data/api/client-server/third_party_lookup.yaml). The
 * protocols come from application services; with none registered the list is empty.
 */
import { defineEndpoint } from '../endpoint.ts';

export const getProtocols = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/thirdparty/protocols',
  resources: ['client'],
  auth: 'user',
  handle: () => ({}),
});
