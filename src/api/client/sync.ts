/** client-server-api "GET /sync" (data/api/client-server/sync.yaml). */
import { lru } from '../../util/lru.ts';
import { MatrixError } from '../../core/errors.ts';
import { z } from 'zod';
import type { SyncFilter } from '../../services/sync/sync.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { syncFilter } from '../sync-filter.ts';


export const sync = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/sync',
  resources: ['client'],
  auth: 'user',
  query: z.object({
    since: z.string().optional(),
    timeout: queryParam.count.default(0),
    set_presence: z.enum(['online', 'offline', 'unavailable']).optional(),
    full_state: queryParam.boolean.default(false),
    filter: z.string().optional(),
  }),
  handle: async ({ requester, query, koa }, deps) => {
    const filter = await resolveFilter(deps, requester.userId, query.filter);
    // A client that goes away ends its long poll.
    // (A request stream also closes once its response is sent; aborting then would only cost an exception.)
    const aborted = new AbortController();
    koa.res.once('close', () => {
      if (!koa.res.writableFinished) aborted.abort();
    });
    const { since, timeout: timeoutMs, full_state: fullState, set_presence: setPresence } = query;
    return deps.sync.sync({ requester, since, timeoutMs, fullState, setPresence, filter, signal: aborted.signal });
  },
});

/** Inline filters parsed lately: a client sends the same one with every sync. They are never changed. */
const inlineFilters = lru<string, SyncFilter>(1_000);

/** The `filter` parameter: a filter ID from the filter API, or the filter itself as JSON. */
async function resolveFilter(deps: ApiDependencies, userId: string, value: string | undefined): Promise<SyncFilter | undefined> {
  if (typeof value !== 'string') return undefined;
  const inline = value.trimStart().startsWith('{');
  const cached = inline ? inlineFilters.get(value) : undefined;
  if (cached) return cached;
  let filter: unknown;
  if (inline) {
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
  if (inline) inlineFilters.set(value, parsed.data);
  return parsed.data;
}
