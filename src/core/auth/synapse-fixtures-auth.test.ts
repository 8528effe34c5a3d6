/**
 * The authorization rules against real rooms (test-vectors/synapse-events.json, README beside it):
 * Synapse accepted every one of these events, in room versions 1 to 10, so each must pass
 *  - rooms/v1 "Authorization rules" rule 2 on its auth_events list (checkAuthEvents),
 *  - the rules against the state its auth_events form,
 *  - the rules against the state before it, following its prev_events (where two prev_events'
 *    states differ, the later persisted event is the descendant in these rooms),
 *  - and against the state of a linear replay in persistence order, except where the event is
 *    concurrent with a state change it would not pass (carol's leave, sent while alice banned her).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { JsonObject } from '../canonical-json.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { stateKeyOf, toRoomEvent, type Pdu, type RoomEvent, type StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import { authStateFromEvents, checkAuthEvents } from './auth-events.ts';
import { checkEventAuth } from './check-event-auth.ts';

type Fixtures = { rooms: Array<{ room_version: string; room_id: string; events: Array<{ event_id: string; pdu: JsonObject }> }> };

const fixtures = JSON.parse(readFileSync(new URL('../../../test-vectors/synapse-events.json', import.meta.url), 'utf8')) as Fixtures;

describe('Synapse fixtures under the authorization rules (rooms/v1 … v10 "Authorization rules")', () => {
  before(initCrypto);

  for (const room of fixtures.rooms) {
    it(`allows every event of the room version ${room.room_version} room (${room.events.length} events)`, () => {
      const rules = getRoomVersion(room.room_version);
      const byId = new Map<EventId, RoomEvent>();
      const order = new Map<EventId, number>();
      const stateAfter = new Map<EventId, Map<StateKey, RoomEvent>>();
      const linear = new Map<StateKey, RoomEvent>();
      const problems: string[] = [];
      const concurrent: string[] = [];

      for (const [index, fixture] of room.events.entries()) {
        const event = toRoomEvent(fixture.pdu as Pdu, rules, fixture.event_id as EventId);
        const what = `${index} ${event.type} ${event.stateKey ?? ''} ${String(event.content.membership ?? '')}`;
        const fail = (check: string, verdict: ReturnType<typeof checkEventAuth>): void => {
          if (!verdict.allowed) problems.push(`${what}: ${check}: ${verdict.reason}`);
        };

        fail('auth_events list', checkAuthEvents(event, (id) => byId.get(id), rules));
        const authEvents = event.authEventIds.map((id) => byId.get(id)).filter((authEvent) => authEvent !== undefined);
        fail('auth events state', checkEventAuth(event, authStateFromEvents(authEvents), rules));

        const before = stateBefore(event, stateAfter, order);
        fail('state before (prev_events)', checkEventAuth(event, before, rules));

        const linearVerdict = checkEventAuth(event, linear, rules);
        if (!linearVerdict.allowed) concurrent.push(`${what}: ${linearVerdict.reason}`);

        byId.set(event.eventId, event);
        order.set(event.eventId, index);
        const after = new Map(before);
        if (event.stateKey !== undefined) {
          after.set(stateKeyOf(event.type, event.stateKey), event);
          if (linearVerdict.allowed) linear.set(stateKeyOf(event.type, event.stateKey), event);
        }
        stateAfter.set(event.eventId, after);
      }
      expect(problems).to.deep.equal([]);
      // Only carol's leave, concurrent with her ban, fails on the linear state: self-leave from `ban`.
      expect(concurrent).to.have.length(1);
      expect(concurrent[0]).to.match(/m\.room\.member @carol\S+ leave: rule (5\.4|4\.4|4\.5)\.1 \(member\.leave\.self\): cannot leave from membership ban/);
    });
  }
});

/** The state before `event`: the union of its prev_events' states, the later persisted event winning a key. */
function stateBefore(event: RoomEvent, stateAfter: ReadonlyMap<EventId, Map<StateKey, RoomEvent>>, order: ReadonlyMap<EventId, number>): Map<StateKey, RoomEvent> {
  const state = new Map<StateKey, RoomEvent>();
  for (const prevId of event.prevEventIds) {
    for (const [key, holder] of stateAfter.get(prevId) ?? []) {
      const current = state.get(key);
      if (!current || (order.get(holder.eventId) ?? -1) > (order.get(current.eventId) ?? -1)) state.set(key, holder);
    }
  }
  return state;
}
