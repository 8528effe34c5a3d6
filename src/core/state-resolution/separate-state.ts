/**
 * Splitting the states to resolve into what they agree on and what they conflict on. The two
 * algorithms define conflicts differently: rooms/v2 "Unconflicted state map and conflicted state
 * set" counts a key missing from some state as conflicted, rooms/v1 only different event IDs.
 */
import type { StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { StateMap } from './auth-chain.ts';

export type SeparatedState = {
  unconflicted: Map<StateKey, EventId>;
  /** Each conflicted key with the event IDs the states give it. */
  conflicted: Map<StateKey, Set<EventId>>;
};

function addConflict(conflicted: Map<StateKey, Set<EventId>>, key: StateKey, id: EventId): void {
  const ids = conflicted.get(key);
  if (ids) ids.add(id);
  else conflicted.set(key, new Set([id]));
}

/**
 * rooms/v2: "If a given key K is present in every Sᵢ with the same value V in each state map, then
 * the pair (K, V) belongs to the unconflicted state map. Otherwise, V belongs to the conflicted state set."
 */
export function separateStateV2(stateSets: readonly StateMap[]): SeparatedState {
  const unconflicted = new Map<StateKey, EventId>();
  const conflicted = new Map<StateKey, Set<EventId>>();
  const [first, ...rest] = stateSets;
  if (!first) return { unconflicted, conflicted };
  for (const [key, id] of first) {
    if (rest.every((state) => state.get(key) === id)) unconflicted.set(key, id);
    else addConflict(conflicted, key, id);
  }
  for (const state of rest) {
    for (const [key, id] of state) if (!unconflicted.has(key)) addConflict(conflicted, key, id);
  }
  return { unconflicted, conflicted };
}

/**
 * rooms/v1: "A conflict occurs between states where those states have different event_ids for the
 * same (event_type, state_key)"; a key some states lack is not a conflict, and R starts as "the union
 * of the states to be resolved, excluding any conflicting events".
 */
export function separateStateV1(stateSets: readonly StateMap[]): SeparatedState {
  const unconflicted = new Map<StateKey, EventId>();
  const conflicted = new Map<StateKey, Set<EventId>>();
  for (const state of stateSets) {
    for (const [key, id] of state) {
      const ids = conflicted.get(key);
      if (ids) {
        ids.add(id);
        continue;
      }
      const agreed = unconflicted.get(key);
      if (agreed === undefined) unconflicted.set(key, id);
      else if (agreed !== id) {
        unconflicted.delete(key);
        conflicted.set(key, new Set([agreed, id]));
      }
    }
  }
  return { unconflicted, conflicted };
}
