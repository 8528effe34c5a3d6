/**
 * rooms/v2 "Mainline ordering" (step 3 of the algorithm): the events that are not power events are
 * ordered by how far back along the resolved power levels' chain of power levels events their own
 * power levels chain meets it, older meeting points first, then origin_server_ts, then event ID.
 */
import { compareCodePoints } from '../canonical-json.ts';
import type { RoomEvent } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { EventCache } from './event-source.ts';

/** "The m.room.power_levels event in the auth_events of" `event`; its auth events must be loaded. */
function powerLevelsAuthEvent(event: RoomEvent, cache: EventCache): RoomEvent | undefined {
  for (const id of event.authEventIds) {
    const authEvent = cache.get(id);
    if (authEvent?.type === 'm.room.power_levels' && authEvent.stateKey === '') return authEvent;
  }
  return undefined;
}

/** Sorts `eventIds` (loaded) by the mainline ordering based on the power levels event `powerLevelsId`. */
export async function mainlineSort(eventIds: readonly EventId[], powerLevelsId: EventId | undefined, cache: EventCache): Promise<EventId[]> {
  if (eventIds.length === 0) return [];

  // The mainline of P₀: P₀, P₁ the power levels event in P₀'s auth_events, … Position of Pᵢ is i.
  const mainline = new Map<EventId, number>();
  let current: EventId | undefined = powerLevelsId;
  while (current !== undefined && !mainline.has(current)) {
    mainline.set(current, mainline.size);
    await cache.load([current]);
    const event = cache.get(current);
    if (!event) break;
    await cache.load(event.authEventIds);
    current = powerLevelsAuthEvent(event, cache)?.eventId;
  }

  // The position found from each power levels event met on the way, so shared chains are walked once.
  const positionFrom = new Map<EventId, number>();
  const events = eventIds.map((id) => cache.get(id)).filter((event) => event !== undefined);
  await cache.load(events.flatMap((event) => event.authEventIds));

  const keyed: { event: RoomEvent; position: number }[] = [];
  for (const event of events) {
    // e₁, e₂, …: the power levels chain from e, not including e itself. The first eⱼ on the mainline
    // is some Pᵢ; with none, the position is ∞.
    const walked: EventId[] = [];
    let position = Infinity;
    for (let step = powerLevelsAuthEvent(event, cache); step !== undefined; ) {
      const known = mainline.get(step.eventId) ?? positionFrom.get(step.eventId);
      if (known !== undefined) {
        position = known;
        break;
      }
      if (walked.includes(step.eventId)) break; // an auth_events cycle (server-generated IDs only)
      walked.push(step.eventId);
      await cache.load(step.authEventIds);
      step = powerLevelsAuthEvent(step, cache);
    }
    for (const id of walked) positionFrom.set(id, position);
    keyed.push({ event, position });
  }

  // x < y: x's mainline position is greater, then smaller origin_server_ts, then smaller event ID.
  keyed.sort((x, y) => {
    if (x.position !== y.position) return x.position > y.position ? -1 : 1;
    if (x.event.originServerTs !== y.event.originServerTs) return x.event.originServerTs - y.event.originServerTs;
    return compareCodePoints(x.event.eventId, y.event.eventId);
  });
  return keyed.map((entry) => entry.event.eventId);
}
