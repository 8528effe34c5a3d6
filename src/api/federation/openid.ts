/** server-server-api "OpenID" (openid.yaml): a third-party service exchanges a user's OpenID token. */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const exchangeOpenIdToken = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/openid/userinfo',
  resources: ['federation'],
  auth: 'none',
  query: z.object({ access_token: z.string() }),
  handle: ({ query }, deps) => deps.openIdTokens.userInfo(query.access_token),
});
