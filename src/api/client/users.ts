/** client-server-api "User directory" (data/api/client-server/users.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const searchUserDirectory = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/user_directory/search',
  resources: ['client'],
  auth: 'user',
  body: z.object({ search_term: z.string(), limit: z.number().int().min(0).max(1000).optional() }),
  handle: ({ body, requester }, deps) => deps.userDirectory.search(requester, body.search_term, body.limit),
});
