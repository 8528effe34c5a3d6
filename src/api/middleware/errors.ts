/**
 * The one place errors become responses: MatrixErrors as `{errcode, error}` with their status,
 * body-reading failures as their Matrix equivalents, and anything unexpected as a 500 M_UNKNOWN
 * that carries the request id but no internals (the full error goes to the log).
 */
import type { Middleware } from 'koa';
import { MatrixError } from '../../core/errors.ts';
import type { Logger } from '../../util/logger.ts';

export function renderErrors(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const matrixError = toMatrixError(error);
      if (!matrixError) {
        (ctx.state.log as Logger).error({ req: ctx.state.requestId, err: error }, 'unhandled error');
      }
      const rendered = matrixError ?? new MatrixError('M_UNKNOWN', `Internal server error (request ${String(ctx.state.requestId)})`);
      ctx.status = rendered.status;
      ctx.body = rendered.toJSON();
      // client-server-api "Rate limiting": Retry-After (seconds) beside the deprecated retry_after_ms.
      const retryAfterMs = rendered.extra.retry_after_ms;
      if (typeof retryAfterMs === 'number') ctx.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
    }
  };
}

function toMatrixError(error: unknown): MatrixError | undefined {
  if (error instanceof MatrixError) return error;
  const http = error as { status?: number; expose?: boolean; type?: string; message?: string };
  if (http.type === 'request.aborted') return new MatrixError('M_UNKNOWN', 'Request aborted', { status: 400 });
  if (http.type === 'encoding.unsupported') return new MatrixError('M_NOT_JSON', 'Request body must be UTF-8', { status: 415 });
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500 && http.expose) {
    return new MatrixError('M_UNKNOWN', http.message ?? 'Bad request', { status: http.status });
  }
  return undefined;
}
