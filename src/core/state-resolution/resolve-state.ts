/**
 * State resolution: the room state before an event whose prev_events carry different states is the
 * resolution of those states (rooms/v1, v2 and v12 "State resolution"). The algorithm is the room
 * version's `stateResolution` rule. Every event is read through `source` in batches; the result
 * depends only on the states and the events, not on the order of either.
 */
import type { StateKey } from '../events/pdu.ts';
import type { EventId, RoomId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { StateMap } from './auth-chain.ts';
import type { EventSource } from './event-source.ts';
import { resolveStateV1 } from './resolve-v1.ts';
import { resolveStateV2 } from './resolve-v2.ts';

export type { StateMap } from './auth-chain.ts';

/**
 * Resolves `stateSets` (each a state map of room `roomId`) into one state map. Events that `source`
 * lacks, or that belong to another room, take no part in the resolution.
 */
export async function resolveState(
  roomId: RoomId,
  rules: RoomVersionRules,
  stateSets: readonly StateMap[],
  source: EventSource,
): Promise<Map<StateKey, EventId>> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  switch (rules.stateResolution) {
    case 'v1':
      return resolveStateV1(roomId, rules, stateSets, source);
    case 'v2':
    case 'v2.1':
      return resolveStateV2(roomId, rules, stateSets, source);
  }
}
