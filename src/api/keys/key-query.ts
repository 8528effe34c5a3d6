/**
 * server-server-api "Querying Keys Through Another Server" (keys_query.yaml): this server as a notary.
 * Each answer is a key response as its server signed it, with our signature added; our own keys are
 * answered from our key document.
 */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';

export const queryServerKeys = defineEndpoint({
  method: 'GET',
  path: '/_matrix/key/v2/query/:serverName',
  resources: ['federation', 'keys'],
  auth: 'none',
  query: z.object({ minimum_valid_until_ts: queryParam.count.optional() }),
  handle: async ({ params, query }, deps) => ({
    server_keys: await deps.remoteServerKeys.notaryKeyResponses(params.serverName!, { minimumValidUntilTs: query.minimum_valid_until_ts }),
  }),
});

const criteria = z.object({ minimum_valid_until_ts: z.number().int().nonnegative().optional() });

export const queryServerKeysInBatch = defineEndpoint({
  method: 'POST',
  path: '/_matrix/key/v2/query',
  resources: ['federation', 'keys'],
  auth: 'none',
  body: z.object({ server_keys: z.record(z.string(), z.record(z.string(), criteria)) }),
  handle: async ({ body }, deps) => {
    const answers = await Promise.all(
      Object.entries(body.server_keys).map(([serverName, keys]) => {
        const minimums = Object.values(keys).flatMap((c) => (c.minimum_valid_until_ts === undefined ? [] : [c.minimum_valid_until_ts]));
        const minimumValidUntilTs = minimums.length > 0 ? Math.max(...minimums) : undefined;
        return deps.remoteServerKeys.notaryKeyResponses(serverName, { keyIds: Object.keys(keys), minimumValidUntilTs });
      }),
    );
    return { server_keys: answers.flat() };
  },
});
