/**
 * An endpoint is data: method, path, the listener resources that serve it, whether it needs an access
 * token, and a handler that receives a validated request. Handlers stay short: check, one service
 * call, shape the response.
 */
import type { ParameterizedContext } from 'koa';
import type { z } from 'zod';
import type { ResourceName } from '../config/schema.ts';
import type { Requester } from '../services/accounts/accounts.ts';
import type { ApiDependencies } from './dependencies.ts';
import type { RawQuery } from './query-params.ts';
import type { RateLimitBucket } from './rate-limits.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * 'user': a valid access token is required; 'server': a request signed by another server
 * (server-server-api "Request Authentication", see federation-auth.ts); 'none': the endpoint is public.
 */
export type EndpointAuth = 'none' | 'user' | 'server';

export interface EndpointRequest<Body, Auth extends EndpointAuth = EndpointAuth, Query = RawQuery> {
  params: Record<string, string>;
  query: Query;
  body: Body;
  requester: Auth extends 'user' ? Requester : undefined;
  /** The server name of the server that signed the request. */
  origin: Auth extends 'server' ? string : undefined;
  koa: ParameterizedContext;
}

/** A handler returns a JSON body for 200, or a Response for anything else. */
export class Response {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface Endpoint<Body = undefined, Auth extends EndpointAuth = EndpointAuth, Query = RawQuery> {
  method: HttpMethod;
  /** Koa router path, e.g. '/_matrix/client/v3/rooms/:roomId/state'. */
  path: string;
  resources: readonly ResourceName[];
  auth: Auth;
  /** The rate limit bucket requests count against (per user, or per address when unauthenticated). */
  rateLimit?: RateLimitBucket;
  /** Schema of the JSON body; endpoints without one read no body. */
  body?: z.ZodType<Body>;
  /** Schema of the query string; without one the handler gets the raw parameters. */
  query?: z.ZodType<Query, RawQuery>;
  handle(request: EndpointRequest<Body, Auth, Query>, deps: ApiDependencies): unknown;
}

/** Identity helper so each endpoint file gets its Body and Auth types inferred. */
export function defineEndpoint<Body = undefined, Auth extends EndpointAuth = EndpointAuth, Query = RawQuery>(endpoint: Endpoint<Body, Auth, Query>): Endpoint<Body, Auth, Query> {
  return endpoint;
}
