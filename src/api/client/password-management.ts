/** client-server-api "POST /account/password" (data/api/client-server/password_management.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { requirePassword } from '../uia.ts';

export const changePassword = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/account/password',
  resources: ['client'],
  auth: 'user',
  body: z.object({ auth: z.record(z.string(), z.unknown()).optional(), new_password: z.string().min(1).max(512), logout_devices: z.boolean().default(true) }),
  handle: async ({ requester, body }, deps) => {
    await requirePassword(deps, requester, 'POST /account/password', body);
    await deps.accounts.changePassword(requester, body.new_password, body.logout_devices);
    return {};
  },
});
