/** client-server-api "OpenID" (data/api/client-server/openid.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const requestOpenIdToken = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/user/:userId/openid/request_token',
  resources: ['client'],
  auth: 'user',
  // "An empty object. Reserved for future expansion."
  body: z.looseObject({}),
  handle: ({ params, requester }, deps) => deps.openIdTokens.issue(requester, params.userId!),
});
