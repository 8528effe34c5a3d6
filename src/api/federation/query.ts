/** server-server-api "Querying for information" (query.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

/** GET /query/profile: a local user's public profile, or only the `field` asked for (omitted when unset). */
export const queryProfile = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/query/profile',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ user_id: z.string(), field: z.string().optional() }),
  handle: async ({ query }, deps) => {
    const profile = await deps.profiles.profile(query.user_id);
    if (query.field === undefined) return profile;
    return Object.hasOwn(profile, query.field) ? { [query.field]: profile[query.field] } : {};
  },
});

/** GET /query/directory: the room a local alias names and the servers likely to hold it. */
export const queryRoomDirectory = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/query/directory',
  resources: ['federation'],
  auth: 'server',
  query: z.object({ room_alias: z.string() }),
  handle: ({ query }, deps) => deps.directoryForServers.resolveAlias(query.room_alias),
});
