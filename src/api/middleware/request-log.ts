/** One structured log line per request: id, method, path (access tokens masked), status, duration. */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../util/logger.ts';

export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    // The logger itself, not a child per request: a child costs more than the line it would write.
    ctx.state.log = logger;
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        { req: requestId, method: ctx.method, path: maskAccessToken(ctx.originalUrl), status: ctx.status, ms: Math.round(ms * 10) / 10, ip: ctx.ip },
        'request',
      );
    }
  };
}

export function maskAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1<redacted>');
}
