/**
 * client-server-api "Web Browser Clients": CORS headers on every response, and OPTIONS answered
 * with them without running any endpoint logic.
 */
import type { Middleware } from 'koa';

const headers = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

export function cors(): Middleware {
  return async (ctx, next) => {
    ctx.set(headers);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    await next();
  };
}
