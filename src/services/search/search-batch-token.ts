/**
 * The `next_batch` tokens of server-side search (client-server-api "Server Side Search", Pagination):
 * opaque to clients, they hold where the previous page ended in the requested order (its last rank and
 * stream position) and, for a token given inside a group, the group it is scoped to ("using a token
 * inside a group will return more results from within that group").
 */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';

export type SearchOrder = 'rank' | 'recent';
export type SearchGroupKey = 'room_id' | 'sender';

export interface SearchBatch {
  orderBy: SearchOrder;
  rank: number;
  streamPosition: number;
  group?: { key: SearchGroupKey; value: string };
}

const tokenSchema = z.strictObject({
  o: z.enum(['rank', 'recent']),
  r: z.number(),
  p: z.number().int(),
  g: z.tuple([z.enum(['room_id', 'sender']), z.string()]).optional(),
});

export function encodeSearchBatch(batch: SearchBatch): string {
  const token: z.infer<typeof tokenSchema> = { o: batch.orderBy, r: batch.rank, p: batch.streamPosition, ...(batch.group ? { g: [batch.group.key, batch.group.value] } : {}) };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeSearchBatch(token: string): SearchBatch {
  let parsed: z.infer<typeof tokenSchema> | undefined;
  try {
    parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed) throw new MatrixError('M_INVALID_PARAM', 'next_batch is not a token this server gave');
  return { orderBy: parsed.o, rank: parsed.r, streamPosition: parsed.p, ...(parsed.g ? { group: { key: parsed.g[0], value: parsed.g[1] } } : {}) };
}
