/** client-server-api "Filtering": POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId} (filter.yaml). */
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { syncFilter } from '../sync-filter.ts';

function requireOwnUser(requesterId: string, userId: string): void {
  if (requesterId !== userId) throw new MatrixError('M_FORBIDDEN', 'Cannot use filters of another user');
}

export const defineFilter = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/user/:userId/filter',
  resources: ['client'],
  auth: 'user',
  body: syncFilter,
  handle: async ({ params, body, requester }, deps) => {
    requireOwnUser(requester.userId, params.userId!);
    return { filter_id: String(await deps.filters.add(requester.userId, body)) };
  },
});

export const getFilter = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/user/:userId/filter/:filterId',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => {
    requireOwnUser(requester.userId, params.userId!);
    const filter = /^\d{1,9}$/.test(params.filterId!) ? await deps.filters.get(requester.userId, Number(params.filterId)) : undefined;
    if (filter === undefined) throw new MatrixError('M_NOT_FOUND', 'No such filter');
    return filter;
  },
});
