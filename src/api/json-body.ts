/**
 * Reads a JSON request body: at most `limit` bytes (a larger Content-Length is refused before
 * reading), UTF-8, a JSON object, validated by the endpoint's schema.
 */
import type { ParameterizedContext } from 'koa';
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { MatrixError } from '../core/errors.ts';

export async function readJsonBody<Body>(ctx: ParameterizedContext, limit: number, schema: z.ZodType<Body>): Promise<Body> {
  return validateJsonBody((await readJsonObject(ctx, limit)) ?? {}, schema);
}

/** The body as a JSON object, or undefined when the request has none (signed requests sign what was sent). */
export async function readJsonObject(ctx: ParameterizedContext, limit: number): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await getRawBody(ctx.req, { length: ctx.get('content-length') || undefined, limit, encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') {
      throw new MatrixError('M_TOO_LARGE', `Request body is larger than the limit of ${limit} bytes`);
    }
    throw error;
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MatrixError('M_NOT_JSON', 'Request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MatrixError('M_BAD_JSON', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function validateJsonBody<Body>(value: Record<string, unknown>, schema: z.ZodType<Body>): Body {
  const result = schema.safeParse(value);
  if (!result.success) {
    const [issue] = result.error.issues;
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new MatrixError('M_BAD_JSON', `Invalid ${field}: ${issue?.message ?? 'does not match the expected form'}`);
  }
  return result.data;
}
