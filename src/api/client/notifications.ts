/** client-server-api "Listing Notifications" (data/api/client-server/notifications.yaml). */
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';

/** Synapse's default page size and cap. */
const defaultLimit = 50;
const maxLimit = 500;

export const getNotifications = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/notifications',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, query }, deps) => {
    const from = query.from;
    if (from !== undefined && (typeof from !== 'string' || !/^\d{1,15}$/.test(from))) throw new MatrixError('M_INVALID_PARAM', 'from is not a token from next_token');
    const limit = query.limit === undefined ? defaultLimit : Number(query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MatrixError('M_INVALID_PARAM', 'limit must be a positive integer');
    return deps.notifications.list(requester, {
      before: from === undefined ? undefined : Number(from),
      limit: Math.min(limit, maxLimit),
      // "Supply highlight to return only events where the notification had the highlight tweak set."
      onlyHighlight: query.only === 'highlight',
    });
  },
});
