/**
 * client-server-api "Using access tokens": the token comes in the Authorization header as a Bearer
 * token, or (deprecated, still accepted) as the access_token query parameter.
 */
import type { ParameterizedContext } from 'koa';
import { MatrixError } from '../core/errors.ts';

export function readAccessToken(ctx: ParameterizedContext): string {
  const header = ctx.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new MatrixError('M_MISSING_TOKEN', 'Malformed Authorization header: expected "Bearer <token>"');
    return match[1]!;
  }
  const query = ctx.query.access_token;
  if (typeof query === 'string' && query !== '') return query;
  throw new MatrixError('M_MISSING_TOKEN', 'Missing access token');
}
