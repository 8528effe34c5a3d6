/**
 * State resolution for room version 1 (rooms/v1 "State resolution"). Known to reset rooms to older
 * state, which is why v2 replaced it; kept for the rooms that still run it. R starts as the union of
 * the states without their conflicts; then the conflicts over power levels, over join rules and over
 * each member are settled in that order, each by walking its events from the oldest and keeping each
 * while the rules allow it in R; every other conflict goes to the newest event R allows.
 *
 * Where the spec leaves the details open this follows Synapse, whose behaviour defines these rooms:
 * each phase decides all its keys against R as it stood before the phase (so the order of keys does
 * not matter), a conflict whose events are all missing but one is settled by that one, and when no
 * event of an "other" conflict passes, the last one in the order is taken.
 */
import { authStateKeys } from '../auth/auth-events.ts';
import { checkEventAuth } from '../auth/check-event-auth.ts';
import { powerLevelsKey } from '../auth/power-levels.ts';
import type { RoomEvent, StateKey } from '../events/pdu.ts';
import type { EventId, RoomId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { StateMap } from './auth-chain.ts';
import { stateKeyOfEvent } from './auth-state.ts';
import { EventCache, type EventSource } from './event-source.ts';
import { separateStateV1 } from './separate-state.ts';
import { sha1Hex } from './sha1.ts';

export async function resolveStateV1(
  roomId: RoomId,
  rules: RoomVersionRules,
  stateSets: readonly StateMap[],
  source: EventSource,
): Promise<Map<StateKey, EventId>> {
  const { unconflicted: resolved, conflicted } = separateStateV1(stateSets);
  if (conflicted.size === 0) return resolved;
  const cache = new EventCache(source, roomId);
  await cache.load([...conflicted.values()].flatMap((ids) => [...ids]));

  const conflicts = new Map<StateKey, RoomEvent[]>();
  for (const [key, ids] of conflicted) {
    const events = [...ids].map((id) => cache.get(id)).filter((event) => event !== undefined);
    if (events.length === 1) resolved.set(key, events[0]!.eventId);
    else if (events.length > 1) conflicts.set(key, events);
  }
  const conflictEvents = [...conflicts.values()].flat();
  await cache.load(conflictEvents.flatMap((event) => authStateKeys(event, rules).flatMap((key) => resolved.get(key) ?? [])));

  const order = new Ordering();
  const phases: ((key: StateKey, events: RoomEvent[]) => boolean)[] = [
    (key) => key === powerLevelsKey,
    (_key, events) => events[0]!.type === 'm.room.join_rules',
    (_key, events) => events[0]!.type === 'm.room.member',
  ];
  const decided = new Set<StateKey>();
  for (const inPhase of phases) {
    const winners = new Map<StateKey, EventId>();
    for (const [key, events] of conflicts) {
      if (decided.has(key) || !inPhase(key, events)) continue;
      winners.set(key, resolveAuthConflict(order.oldestFirst(events), resolved, cache, rules).eventId);
    }
    for (const [key, id] of winners) {
      resolved.set(key, id);
      decided.add(key);
    }
  }

  // "No other events affect the authorisation rules, so for all other conflicts, just pick the event
  // with the highest depth and lowest sha1(event_id) that passes authentication in R".
  const winners = new Map<StateKey, EventId>();
  for (const [key, events] of conflicts) {
    if (decided.has(key)) continue;
    const newestFirst = order.oldestFirst(events).reverse();
    const passing = newestFirst.find((event) => allowedIn(event, resolved, cache, rules));
    winners.set(key, (passing ?? newestFirst[newestFirst.length - 1]!).eventId);
  }
  for (const [key, id] of winners) resolved.set(key, id);
  return resolved;
}

/**
 * "Add the first event in the list to R. For each subsequent event in the list, check that the event
 * would be allowed by the authorisation rules for a room in state R. If the event would be allowed,
 * then update R with the event and continue with the next event in the list. If it would not be
 * allowed, stop". Returns the last event kept.
 */
function resolveAuthConflict(events: RoomEvent[], resolved: ReadonlyMap<StateKey, EventId>, cache: EventCache, rules: RoomVersionRules): RoomEvent {
  const authState = new Map<StateKey, RoomEvent>();
  for (const event of events) {
    for (const key of authStateKeys(event, rules)) {
      const holder = resolved.get(key);
      const holderEvent = holder === undefined ? undefined : cache.get(holder);
      if (holderEvent) authState.set(key, holderEvent);
    }
  }
  let kept = events[0]!;
  for (const event of events.slice(1)) {
    authState.set(stateKeyOfEvent(kept)!, kept);
    if (!checkEventAuth(event, authState, rules).allowed) break;
    kept = event;
  }
  return kept;
}

function allowedIn(event: RoomEvent, resolved: ReadonlyMap<StateKey, EventId>, cache: EventCache, rules: RoomVersionRules): boolean {
  const authState = new Map<StateKey, RoomEvent>();
  for (const key of authStateKeys(event, rules)) {
    const holder = resolved.get(key);
    const holderEvent = holder === undefined ? undefined : cache.get(holder);
    if (holderEvent) authState.set(key, holderEvent);
  }
  return checkEventAuth(event, authState, rules).allowed;
}

/** "Ascending depth then descending sha1(event_id)", the SHA-1 of each event ID computed once. */
class Ordering {
  private readonly digests = new Map<EventId, string>();

  oldestFirst(events: readonly RoomEvent[]): RoomEvent[] {
    return [...events].sort((x, y) => {
      if (x.depth !== y.depth) return x.depth - y.depth;
      const [dx, dy] = [this.digest(x.eventId), this.digest(y.eventId)];
      return dx === dy ? 0 : dx < dy ? 1 : -1;
    });
  }

  private digest(id: EventId): string {
    let digest = this.digests.get(id);
    if (digest === undefined) {
      digest = sha1Hex(id);
      this.digests.set(id, digest);
    }
    return digest;
  }
}
