/** client-server-api "POST /account/deactivate" (data/api/client-server/account_deactivation.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { requirePassword } from '../uia.ts';

export const deactivateAccount = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/account/deactivate',
  resources: ['client'],
  auth: 'user',
  body: z.object({ auth: z.record(z.string(), z.unknown()).optional(), id_server: z.string().optional(), erase: z.boolean().optional() }),
  handle: async ({ requester, body }, deps) => {
    await requirePassword(deps, requester, 'POST /account/deactivate', body);
    await deps.accounts.deactivate(requester);
    // Lattice binds no third-party identifiers at identity servers, so there is nothing to unbind.
    return { id_server_unbind_result: 'no-support' };
  },
});
