/**
 * Validates an endpoint's query string against its schema. A required parameter that is absent is
 * M_MISSING_PARAM, anything else that does not fit is M_INVALID_PARAM, both naming the parameter.
 */
import { z } from 'zod';
import { MatrixError } from '../core/errors.ts';

export type RawQuery = Record<string, string | string[] | undefined>;

export function readQuery<Query>(query: RawQuery, schema: z.ZodType<Query>): Query {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const name = String(issue?.path[0] ?? 'query');
  if (query[name] === undefined) throw new MatrixError('M_MISSING_PARAM', `Missing query parameter ${name}`);
  throw new MatrixError('M_INVALID_PARAM', `Invalid query parameter ${name}: ${issue?.message ?? 'does not match the expected form'}`);
}

/** Shapes shared by query schemas: query values arrive as strings. */
export const queryParam = {
  /** A non-negative integer, e.g. `limit` or `timeout`. */
  count: z.string().regex(/^\d{1,15}$/, 'expected a non-negative integer').transform(Number),
  direction: z.enum(['b', 'f']),
  boolean: z.enum(['true', 'false']).transform((value) => value === 'true'),
};
