/**
 * client-server-api "Refreshing access tokens" (data/api/client-server/refresh.yaml). The refresh
 * token is the credential, so the endpoint takes no access token; like Synapse's, it is not rate
 * limited (a refresh token has 256 random bits: there is nothing to guess).
 */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const refresh = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/refresh',
  resources: ['client'],
  auth: 'none',
  body: z.object({ refresh_token: z.string() }),
  handle: async ({ body }, deps) => {
    const tokens = await deps.accounts.refresh(body.refresh_token);
    return {
      access_token: tokens.accessToken,
      ...(tokens.refreshToken !== undefined ? { refresh_token: tokens.refreshToken } : {}),
      ...(tokens.expiresInMs !== undefined ? { expires_in_ms: tokens.expiresInMs } : {}),
    };
  },
});
