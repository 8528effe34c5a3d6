/** client-server-api "GET /sync" (data/api/client-server/sync.yaml). */
import { MatrixError } from '../../core/errors.ts';
import type { SyncFilter } from '../../services/sync/sync.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint } from '../endpoint.ts';
import { syncFilter } from '../sync-filter.ts';

const presenceStates = new Set(['online', 'offline', 'unavailable']);

export const sync = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/sync',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, query, koa }, deps) => {
    const since = typeof query.since === 'string' ? query.since : undefined;
    const timeoutMs = typeof query.timeout === 'string' ? Number(query.timeout) : 0;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new MatrixError('M_INVALID_PARAM', 'timeout must be a non-negative integer');
    if (query.set_presence !== undefined && !presenceStates.has(String(query.set_presence))) throw new MatrixError('M_INVALID_PARAM', 'set_presence must be online, offline or unavailable');
    const filter = await resolveFilter(deps, requester.userId, query.filter);
    // A client that goes away ends its long poll.
    const aborted = new AbortController();
    koa.req.once('close', () => aborted.abort());
    const fullState = query.full_state === 'true';
    return deps.sync.sync({ requester, since, timeoutMs, fullState, filter, signal: aborted.signal });
  },
});

/** The `filter` parameter: a filter ID from the filter API, or the filter itself as JSON. */
async function resolveFilter(deps: ApiDependencies, userId: string, value: string | string[] | undefined): Promise<SyncFilter | undefined> {
  if (typeof value !== 'string') return undefined;
  let filter: unknown;
  if (value.trimStart().startsWith('{')) {
    try {
      filter = JSON.parse(value);
    } catch {
      throw new MatrixError('M_NOT_JSON', 'The filter parameter is not valid JSON');
    }
  } else {
    filter = /^\d{1,9}$/.test(value) ? await deps.filters.get(userId, Number(value)) : undefined;
    if (filter === undefined) throw new MatrixError('M_INVALID_PARAM', 'Unknown filter ID');
  }
  const parsed = syncFilter.safeParse(filter);
  if (!parsed.success) throw new MatrixError('M_BAD_JSON', `Invalid filter: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`);
  return parsed.data;
}
