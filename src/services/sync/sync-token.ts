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
const tagged = Object.entries(syncStreams) as Array<[SyncStream, string]>;

export function zeroPositions(): SyncPositions {
  return { events: 0, account_data: 0, push_rules: 0, to_device: 0, device_lists: 0, typing: 0, receipts: 0, presence: 0 };
}

export function encodeSyncToken(positions: SyncPositions): string {
  let token = '';
  for (const [stream, tag] of tagged) token += `${token ? '_' : ''}${tag}${positions[stream]}`;
  return token;
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
