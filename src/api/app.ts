/**
 * Builds the Koa application of one listener: the endpoints of the resources it serves, behind the
 * middleware every request passes (log → CORS → metrics → errors). Routing distinguishes an unknown
 * path (404) from a known path with the wrong method (405), both M_UNRECOGNIZED.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { ResourceName } from '../config/schema.ts';
import { MatrixError } from '../core/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { ApiDependencies } from './dependencies.ts';
import { Response, type Endpoint } from './endpoint.ts';
import { readAccessToken } from './access-token.ts';
import { authenticateServerRequest } from './federation-auth.ts';
import { readJsonBody, readJsonObject, validateJsonBody } from './json-body.ts';
import { readQuery } from './query-params.ts';
import { cors } from './middleware/cors.ts';
import { renderErrors } from './middleware/errors.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { requestLog } from './middleware/request-log.ts';

export interface AppOptions {
  resources: ReadonlySet<ResourceName>;
  endpoints: readonly Endpoint<any, any, any>[];
  deps: ApiDependencies;
  logger: Logger;
  /** Trust X-Forwarded-* headers (listener x_forwarded). */
  proxy?: boolean;
}

const unrecognized = (status: number) => () => new MatrixError('M_UNRECOGNIZED', 'Unrecognized request', { status });

export function createApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: options.proxy ?? false });
  const router = new Router();
  // Paths without parameters are looked up directly: the router tries every route's pattern in turn,
  // which costs the busiest endpoints (/sync) more than the lookup.
  const staticRoutes = new Map<string, Endpoint<any, any, any>>();
  for (const endpoint of options.endpoints) {
    if (endpoint.resources.some((r) => options.resources.has(r))) {
      router.register(endpoint.path, [endpoint.method], (ctx) => runEndpoint(endpoint, ctx, options.deps), { name: `${endpoint.method} ${endpoint.path}` });
      if (!endpoint.path.includes(':')) staticRoutes.set(`${endpoint.method} ${endpoint.path}`, endpoint);
    }
  }
  app
    .use(requestLog(options.logger))
    .use(cors())
    .use(httpMetrics(options.deps.metrics))
    .use(renderErrors())
    .use(async (ctx, next) => {
      await next();
      if (ctx.body === undefined && ctx.status === 404) throw unrecognized(404)();
    })
    .use((ctx, next) => {
      const endpoint = staticRoutes.get(`${ctx.method} ${ctx.path}`);
      if (!endpoint) return next();
      (ctx as { _matchedRoute?: string })._matchedRoute = endpoint.path;
      (ctx as unknown as { params: Record<string, string> }).params = {};
      return runEndpoint(endpoint, ctx, options.deps);
    })
    .use(router.routes())
    .use(router.allowedMethods({ throw: true, methodNotAllowed: unrecognized(405), notImplemented: unrecognized(405) }));
  return app;
}

async function runEndpoint(endpoint: Endpoint<any, any, any>, ctx: Koa.ParameterizedContext, deps: ApiDependencies): Promise<void> {
  const requester = endpoint.auth === 'user' ? await deps.accounts.authenticate(readAccessToken(ctx), ctx.ip) : undefined;
  // A server signs the body it sends, so its request's body is read before the body schema applies.
  const content = endpoint.auth === 'server' ? await readJsonObject(ctx, deps.maxJsonBodySize) : undefined;
  const origin = endpoint.auth === 'server' ? await authenticateServerRequest(ctx, deps, content) : undefined;
  if (endpoint.rateLimit) await deps.rateLimits.consume(endpoint.rateLimit, requester?.userId ?? origin ?? ctx.ip);
  const query = endpoint.query ? readQuery(ctx.query, endpoint.query) : ctx.query;
  let body: unknown;
  if (endpoint.body) body = endpoint.auth === 'server' ? validateJsonBody(content ?? {}, endpoint.body) : await readJsonBody(ctx, deps.maxJsonBodySize, endpoint.body);
  const params = (ctx as unknown as { params: Record<string, string> }).params;
  const result = await endpoint.handle({ params, query, body, requester, origin, koa: ctx }, deps);
  if (result instanceof Response) {
    ctx.status = result.status;
    ctx.set(result.headers);
    ctx.body = result.body;
  } else {
    ctx.status = 200;
    ctx.body = result;
  }
}
