/** client-server-api "Server Side Search": POST /search (data/api/client-server/search.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomEventFilter } from '../sync-filter.ts';

const limit = z.number().int().min(0);

// search.yaml "Room Events Criteria".
const roomEvents = z.looseObject({
  // Long enough for any real query, short enough to bound the work one query asks of the index.
  search_term: z.string().max(1000),
  keys: z.array(z.enum(['content.body', 'content.name', 'content.topic'])).optional(),
  filter: roomEventFilter.optional(),
  order_by: z.enum(['recent', 'rank']).optional(),
  event_context: z.looseObject({ before_limit: limit.optional(), after_limit: limit.optional(), include_profile: z.boolean().optional() }).optional(),
  include_state: z.boolean().optional(),
  groupings: z.looseObject({ group_by: z.array(z.looseObject({ key: z.enum(['room_id', 'sender']).optional() })).optional() }).optional(),
});

// "Currently the only specified category is room_events": any other is refused, not silently ignored.
const body = z.looseObject({ search_categories: z.strictObject({ room_events: roomEvents.optional() }) });

export const search = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/search',
  resources: ['client'],
  auth: 'user',
  body,
  query: z.object({ next_batch: z.string().optional() }),
  handle: async ({ body, query, requester }, deps) => {
    const criteria = body.search_categories.room_events;
    if (!criteria) return { search_categories: {} };
    return deps.roomSearch.search(requester, criteria, query.next_batch);
  },
});
