/**
 * State resolution v2 (rooms/v2 "State resolution", fragment v2-state-res) and v2.1 (rooms/v12 "State
 * resolution"). v2.1 differs in two places, both named by `rules.stateResolution`: the full conflicted
 * set also holds the conflicted state subgraph, and the first iterative auth checks start from an
 * empty state instead of the unconflicted state map, so a state that merely lacks a newer event
 * cannot reset the room to an older one.
 */
import { powerLevelsKey } from '../auth/power-levels.ts';
import type { StateKey } from '../events/pdu.ts';
import type { EventId, RoomId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { authDifference, conflictedStateSubgraph, type StateMap } from './auth-chain.ts';
import { EventCache, type EventSource } from './event-source.ts';
import { iterativeAuthChecks } from './iterative-auth-checks.ts';
import { mainlineSort } from './mainline-ordering.ts';
import { sortPowerEvents } from './power-ordering.ts';
import { separateStateV2 } from './separate-state.ts';

export async function resolveStateV2(
  roomId: RoomId,
  rules: RoomVersionRules,
  stateSets: readonly StateMap[],
  source: EventSource,
): Promise<Map<StateKey, EventId>> {
  const { unconflicted, conflicted } = separateStateV2(stateSets);
  if (conflicted.size === 0) return unconflicted;
  const cache = new EventCache(source, roomId);

  // "Full conflicted set": the conflicted state set ∪ the auth difference (∪ v12: the conflicted
  // state subgraph). Events we cannot fetch cannot be checked, so they take no part.
  const conflictedSet = new Set<EventId>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedSet.add(id);
  const candidates = await authDifference(stateSets, cache);
  for (const id of conflictedSet) candidates.add(id);
  if (rules.stateResolution === 'v2.1') for (const id of await conflictedStateSubgraph(conflictedSet, cache)) candidates.add(id);
  await cache.load(candidates);
  const fullConflictedSet = new Set<EventId>();
  for (const id of candidates) if (cache.get(id)?.stateKey !== undefined) fullConflictedSet.add(id);

  // 1. The power events and their auth chains within the full conflicted set, in reverse topological power ordering.
  const powerEvents = await sortPowerEvents(fullConflictedSet, cache, rules);

  // 2. Iterative auth checks from the unconflicted state map (v2.1: from an empty state map).
  const initial = rules.stateResolution === 'v2.1' ? new Map<StateKey, EventId>() : new Map(unconflicted);
  const partiallyResolved = await iterativeAuthChecks(powerEvents, initial, cache, rules);

  // 3. The remaining events in mainline ordering based on the partially resolved power levels.
  const picked = new Set(powerEvents);
  const remaining = [...fullConflictedSet].filter((id) => !picked.has(id));
  const ordered = await mainlineSort(remaining, partiallyResolved.get(powerLevelsKey), cache);

  // 4. Iterative auth checks on the partially resolved state.
  const resolved = await iterativeAuthChecks(ordered, partiallyResolved, cache, rules);

  // 5. The unconflicted state map wins wherever it has the key.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}
