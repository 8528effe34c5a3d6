/**
 * client-server-api "Room Summaries" (data/api/client-server/room_summary.yaml), and the path of its
 * proposal (MSC3266) that matrix-js-sdk still calls. Authentication is optional: "Servers MAY allow
 * unauthenticated access to this API" (for rooms anyone may see); a token, when sent, must be valid.
 */
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import type { Requester } from '../../services/accounts/accounts.ts';
import { readAccessToken } from '../access-token.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint, type Endpoint } from '../endpoint.ts';
import { resolveRoomIdOrAlias } from './room-request.ts';

const summaryQuery = z.object({ via: z.union([z.string(), z.array(z.string())]).optional() });

const summary = (path: string): Endpoint<undefined, 'none', z.infer<typeof summaryQuery>> =>
  defineEndpoint({
    method: 'GET',
    path,
    resources: ['client'],
    auth: 'none',
    query: summaryQuery,
    handle: async ({ params, query, koa }, deps) => {
      const requester = await optionalRequester(koa, deps);
      const via = [query.via ?? []].flat();
      // An alias brings the servers its directory named.
      const alias = params.roomIdOrAlias?.startsWith('#') ? await deps.roomAliases.resolve(params.roomIdOrAlias) : undefined;
      const roomId = await resolveRoomIdOrAlias(deps, alias?.room_id ?? params.roomIdOrAlias);
      return deps.roomSummaries.forClient(requester?.userId, roomId, [...via, ...(alias?.servers ?? [])]);
    },
  });

export const getRoomSummary = summary('/_matrix/client/v1/room_summary/:roomIdOrAlias');
export const getRoomSummaryUnstable = summary('/_matrix/client/unstable/im.nheko.summary/summary/:roomIdOrAlias');

/** The requester when the request carries an access token; undefined when it carries none. */
async function optionalRequester(koa: ParameterizedContext, deps: ApiDependencies): Promise<Requester | undefined> {
  if (!koa.get('authorization') && koa.query.access_token === undefined) return undefined;
  return deps.accounts.authenticate(readAccessToken(koa), koa.ip);
}
