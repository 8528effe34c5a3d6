/**
 * rooms/v2 "Power events" and "Reverse topological power ordering", and step 1 of the algorithm:
 * the power events of the full conflicted set with their auth chains within it, sorted so that each
 * event comes after its auth events, ties going to the more powerful sender, then the earlier
 * origin_server_ts, then the smaller event ID.
 */
import { userPowerLevel } from '../auth/power-levels.ts';
import { compareCodePoints } from '../canonical-json.ts';
import type { RoomEvent } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { authEventIdsOf, authEventsState } from './auth-state.ts';
import type { EventCache } from './event-source.ts';
import { MinHeap } from './min-heap.ts';

/**
 * rooms/v2 "Power events": power levels, join rules, and kicks and bans (a leave or ban whose sender
 * is not its target). The create event counts too, as it does in Synapse and ruma: it can only be in
 * the full conflicted set when a state lacks it, and sorting it first keeps servers in agreement.
 */
export function isPowerEvent(event: RoomEvent): boolean {
  if (event.stateKey === undefined) return false;
  switch (event.type) {
    case 'm.room.power_levels':
    case 'm.room.join_rules':
    case 'm.room.create':
      return event.stateKey === '';
    case 'm.room.member': {
      const membership = event.content.membership;
      return (membership === 'leave' || membership === 'ban') && event.sender !== event.stateKey;
    }
    default:
      return false;
  }
}

type Vertex = { id: EventId; power: number; ts: number };

/** x < y: greater sender power level, then smaller origin_server_ts, then smaller event ID. */
function comparePowerOrder(x: Vertex, y: Vertex): number {
  if (x.power !== y.power) return x.power > y.power ? -1 : 1;
  if (x.ts !== y.ts) return x.ts < y.ts ? -1 : 1;
  return compareCodePoints(x.id, y.id);
}

/**
 * Step 1: X is the power events of the full conflicted set, enlarged with the events of their auth
 * chains that are in the full conflicted set, sorted by the reverse topological power ordering. Like
 * Synapse and ruma, the DAG is X with the auth_events edges between events of the full conflicted set.
 * The full conflicted set's events must be loaded.
 */
export async function sortPowerEvents(fullConflictedSet: ReadonlySet<EventId>, cache: EventCache, rules: RoomVersionRules): Promise<EventId[]> {
  // For each vertex, its auth events within the full conflicted set (its outgoing edges).
  const graph = new Map<EventId, EventId[]>();
  const stack: EventId[] = [];
  for (const id of fullConflictedSet) {
    const event = cache.get(id);
    if (event && isPowerEvent(event)) stack.push(id);
  }
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (graph.has(id)) continue;
    const edges: EventId[] = [];
    for (const authId of new Set(cache.get(id)?.authEventIds ?? [])) {
      if (!fullConflictedSet.has(authId) || !cache.has(authId)) continue;
      edges.push(authId);
      if (!graph.has(authId)) stack.push(authId);
    }
    graph.set(id, edges);
  }

  const events = [...graph.keys()].map((id) => cache.get(id)!);
  await cache.load(authEventIdsOf(events, rules));
  const vertices = new Map<EventId, Vertex>();
  for (const event of events) {
    // "x's sender has greater power level than y's sender, when looking at their respective auth_events"
    // (all of them: the spec and Synapse make no exception for rejected ones here).
    const power = userPowerLevel(event.sender, authEventsState(event, cache, rules, { withRejected: true }), rules);
    vertices.set(event.eventId, { id: event.eventId, power, ts: event.originServerTs });
  }
  return kahnSort(graph, vertices);
}

/**
 * Kahn's algorithm from the events without auth events (in the graph) towards the newest, taking the
 * smallest ready vertex each step. Vertices on a cycle (impossible with hashed event IDs) are left out.
 */
export function kahnSort(graph: ReadonlyMap<EventId, readonly EventId[]>, vertices: ReadonlyMap<EventId, Vertex>): EventId[] {
  const remaining = new Map<EventId, number>();
  const citedBy = new Map<EventId, EventId[]>();
  const ready = new MinHeap<Vertex>(comparePowerOrder);
  for (const [id, edges] of graph) {
    remaining.set(id, edges.length);
    for (const authId of edges) {
      const citers = citedBy.get(authId);
      if (citers) citers.push(id);
      else citedBy.set(authId, [id]);
    }
    if (edges.length === 0) ready.push(vertices.get(id)!);
  }
  const sorted: EventId[] = [];
  for (let vertex = ready.pop(); vertex !== undefined; vertex = ready.pop()) {
    sorted.push(vertex.id);
    for (const citer of citedBy.get(vertex.id) ?? []) {
      const left = remaining.get(citer)! - 1;
      remaining.set(citer, left);
      if (left === 0) ready.push(vertices.get(citer)!);
    }
  }
  return sorted;
}
