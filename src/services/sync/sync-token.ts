/**
 * The /sync `next_batch` token: the position of each stream the client has seen, written as
 * letter-tagged numbers ("a12_p3_t40_d7") so streams can be added without breaking old tokens
 * (a stream missing from a token reads as position 0).
 */
import { MatrixError } from '../../core/errors.ts';

export const syncStreams = { events: 'e', account_data: 'a', push_rules: 'p', to_device: 't', device_lists: 'd', typing: 'y', receipts: 'r', presence: 'o' } as const;
export type SyncStream = keyof typeof syncStreams;
export type SyncPositions = Record<SyncStream, number>;

const streamByTag = new Map<string, SyncStream>(Object.entries(syncStreams).map(([stream, tag]) => [tag, stream as SyncStream]));

export function zeroPositions(): SyncPositions {
  return Object.fromEntries(Object.keys(syncStreams).map((s) => [s, 0])) as SyncPositions;
}

export function encodeSyncToken(positions: SyncPositions): string {
  return Object.entries(syncStreams)
    .map(([stream, tag]) => `${tag}${positions[stream as SyncStream]}`)
    .join('_');
}

export function parseSyncToken(token: string): SyncPositions {
  const positions = zeroPositions();
  for (const part of token.split('_')) {
    const stream = streamByTag.get(part.charAt(0));
    const position = Number(part.slice(1));
    if (!stream || !/^\d{1,15}$/.test(part.slice(1))) throw new MatrixError('M_INVALID_PARAM', 'Invalid since token');
    positions[stream] = position;
  }
  return positions;
}
