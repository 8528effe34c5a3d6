/** client-server-api "POST /logout" and "POST /logout/all" (data/api/client-server/logout.yaml). */
import { defineEndpoint } from '../endpoint.ts';

export const logout = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/logout',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => {
    await deps.accounts.logout(requester);
    return {};
  },
});

export const logoutAll = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/logout/all',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => {
    await deps.accounts.logoutAll(requester);
    return {};
  },
});
