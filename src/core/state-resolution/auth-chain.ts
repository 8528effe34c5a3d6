/**
 * Auth chains and what state resolution v2 derives from them (rooms/v2 "Definitions"): the auth
 * chain, the auth difference, and (rooms/v12) the conflicted state subgraph. All are breadth-first
 * walks over `auth_events` that fetch one frontier per call to the event source. Events the source
 * does not have end the walk along that edge: what we cannot see we cannot verify.
 */
import type { StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { EventCache, type EventSource } from './event-source.ts';

/** A room state as resolution sees it: (type, state_key) → event ID. */
export type StateMap = ReadonlyMap<StateKey, EventId>;

/**
 * rooms/v2 "Auth chain": every event reachable from `eventIds` through auth_events, recursively. The
 * given events themselves are included only when one of them is in another's auth chain. Used by
 * federation /state, /state_ids and /event_auth.
 */
export async function computeAuthChain(eventIds: Iterable<EventId>, source: EventSource): Promise<Set<EventId>> {
  return walkAuthChain(eventIds, new EventCache(source));
}

/**
 * The auth chain of `start` as in computeAuthChain. The walk does not enter events in `stopAt` (nor
 * reports them): callers pass a set already known to be closed under auth_events.
 */
export async function walkAuthChain(start: Iterable<EventId>, cache: EventCache, stopAt?: ReadonlySet<EventId>): Promise<Set<EventId>> {
  const reached = new Set<EventId>();
  let frontier = [...new Set(start)];
  while (frontier.length > 0) {
    await cache.load(frontier);
    const next: EventId[] = [];
    for (const id of frontier) {
      const event = cache.get(id);
      if (!event) continue;
      for (const authId of event.authEventIds) {
        if (reached.has(authId) || stopAt?.has(authId)) continue;
        reached.add(authId);
        next.push(authId);
      }
    }
    frontier = next;
  }
  return reached;
}

/** rooms/v2 "Auth difference" of these states, fetching through `source`. */
export async function computeAuthDifference(stateSets: readonly StateMap[], source: EventSource): Promise<Set<EventId>> {
  return authDifference(stateSets, new EventCache(source));
}

/**
 * rooms/v2 "Auth difference": ∪Cᵢ − ∩Cᵢ where Cᵢ is the full auth chain of state Sᵢ. As in Synapse's
 * implementation, Cᵢ also holds the events of Sᵢ themselves; the two readings differ only for events
 * in every state (which this one never reports), and agreeing with deployed servers is what makes
 * rooms converge.
 *
 * Rather than walking every state's whole chain (a 10,000-member room has 10,000 member events in
 * each), the events common to all states are walked once: everything they reach is in every Cᵢ, so
 * the per-state walks from the remaining events stop there.
 */
export async function authDifference(stateSets: readonly StateMap[], cache: EventCache): Promise<Set<EventId>> {
  if (stateSets.length < 2) return new Set();
  const idSets = stateSets.map((state) => new Set(state.values()));
  const [first, ...rest] = idSets as [Set<EventId>, ...Set<EventId>[]];
  const common = new Set<EventId>();
  for (const id of first) if (rest.every((ids) => ids.has(id))) common.add(id);

  // Everything reachable from the common events, themselves included, is in every Cᵢ.
  const inEveryChain = await walkAuthChain(common, cache);
  for (const id of common) inEveryChain.add(id);

  const partialChains: Set<EventId>[] = [];
  for (const ids of idSets) {
    const own = [...ids].filter((id) => !inEveryChain.has(id));
    const chain = await walkAuthChain(own, cache, inEveryChain);
    for (const id of own) chain.add(id);
    partialChains.push(chain);
  }
  const difference = new Set<EventId>();
  for (const chain of partialChains) {
    for (const id of chain) if (!difference.has(id) && !partialChains.every((other) => other.has(id))) difference.add(id);
  }
  return difference;
}

/**
 * rooms/v12 "Conflicted state subgraph": the events on auth_events paths from one conflicted event to
 * another, endpoints included. Walks down from the conflicted events recording the reverse edges, then
 * back up from them along those edges: an event is on such a path exactly when it is reached both ways.
 */
export async function conflictedStateSubgraph(conflicted: ReadonlySet<EventId>, cache: EventCache): Promise<Set<EventId>> {
  const citedBy = new Map<EventId, EventId[]>();
  const reached = new Set<EventId>(conflicted);
  let frontier = [...conflicted];
  while (frontier.length > 0) {
    await cache.load(frontier);
    const next: EventId[] = [];
    for (const id of frontier) {
      const event = cache.get(id);
      if (!event) continue;
      for (const authId of event.authEventIds) {
        const citers = citedBy.get(authId);
        if (citers) citers.push(id);
        else citedBy.set(authId, [id]);
        if (!reached.has(authId)) {
          reached.add(authId);
          next.push(authId);
        }
      }
    }
    frontier = next;
  }

  const subgraph = new Set<EventId>(conflicted);
  const stack = [...conflicted];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const citer of citedBy.get(id) ?? []) {
      if (subgraph.has(citer)) continue;
      subgraph.add(citer);
      stack.push(citer);
    }
  }
  return subgraph;
}
