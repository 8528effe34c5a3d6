/**
 * client-server-api "Adding Account Administrative Contact Information"
 * (data/api/client-server/administrative_contact.yaml). Lattice binds no third-party identifiers
 * (`m.3pid_changes` is disabled in /capabilities), so every account has none; clients still ask.
 */
import { defineEndpoint } from '../endpoint.ts';

export const getThreePids = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/account/3pid',
  resources: ['client'],
  auth: 'user',
  handle: () => ({ threepids: [] }),
});
