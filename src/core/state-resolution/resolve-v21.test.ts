/**
 * Where state resolution v2.1 (rooms/v12 "State resolution") and v2 (rooms/v2) part: state resets.
 * Each scenario is built twice, in room version 11 (v2) and 12 (v2.1), with the same events but for
 * what the versions require (v12 leaves the create event out of auth_events and its creators out of
 * the power levels), and both outcomes are asserted. The scenarios are those of MSC4297 and
 * Synapse's tests/state/test_v21.py.
 */
import { expect } from 'chai';
import { stateKeyOf, type StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { authDifference } from './auth-chain.ts';
import { EventCache } from './event-source.ts';
import { iterativeAuthChecks } from './iterative-auth-checks.ts';
import { resolveState } from './resolve-state.ts';
import { TestRoom } from './test-dag.ts';

const alice = '@alice:example.com';
const bob = '@bob:example.com';
const charlie = '@charlie:example.com';
const evelyn = '@evelyn:example.com';
const zara = '@zara:example.com';

/** Power levels users map with Alice, the creator, at 100 — except in v12, where creators are not listed. */
function users(room: TestRoom, levels: Record<string, number>): Record<string, number> {
  return room.rules.privilegedCreators ? levels : { [alice]: 100, ...levels };
}

/** Auth event labels, with the create event where the room version lists it. */
function auth(room: TestRoom, labels: string[]): string[] {
  return room.rules.createInAuthEvents ? ['CREATE', ...labels] : labels;
}

describe('rooms/v12 "State resolution" (v2.1) against v2: state resets', () => {
  /**
   * The join rules were changed to invite and then their sender, Alice, left. A server hands us a
   * state with the old join rules. The join rules conflict; Alice's leave does not.
   */
  function joinRulesReset(version: string) {
    const { room, main } = TestRoom.create(version, alice);
    main.join('MA1', alice);
    main.powerLevels('POWER', alice, users(room, { [bob]: 100 }));
    main.joinRules('JR1', alice, 'public');
    main.join('MB', bob);
    main.joinRules('JR2', alice, 'invite');
    main.member('MA2', alice, alice, 'leave');
    const correct = main.stateIds();
    const incorrect = new Map(correct).set(stateKeyOf('m.room.join_rules', ''), room.event('JR1').eventId);
    return { room, states: [correct, incorrect] };
  }

  it('v2 (room version 11): the join rules are reset away, as the conflict is re-checked against the unconflicted state where Alice has left', async () => {
    const { room, states } = joinRulesReset('11');
    // Full conflicted set {JR1, JR2}; both are checked from the unconflicted state, where their sender
    // has left, and fail: the room ends up with no join rules at all.
    const resolved = await resolveState(room.roomId, room.rules, states, room.source);
    expect(resolved.has(stateKeyOf('m.room.join_rules', ''))).to.equal(false);
    expect(room.label(resolved.get(stateKeyOf('m.room.member', alice))!)).to.equal('MA2');
  });

  it('v2.1 (room version 12): starting the checks from an empty state keeps the newer join rules', async () => {
    const { room, states } = joinRulesReset('12');
    // From the empty state each join rules event is checked against its own auth events (Alice joined):
    // JR1 then JR2 (same sender, JR1 older) both pass and JR2 is last.
    const resolved = await resolveState(room.roomId, room.rules, states, room.source);
    expect(room.label(resolved.get(stateKeyOf('m.room.join_rules', ''))!)).to.equal('JR2');
    expect(room.labelled(resolved)).to.deep.equal(room.labelled(room.stateOf('CREATE', 'MA2', 'MB', 'POWER', 'JR2')));
  });

  /**
   * Evelyn's second join cites the old power levels P1 directly although she joined under P3. A state
   * after it that holds P1 (from a server that believed that citation) meets one with P3.
   */
  function replayedSubgraph(version: string) {
    const { room, main } = TestRoom.create(version, alice);
    main.join('MA', alice);
    main.powerLevels('P1', alice, users(room, {}));
    main.joinRules('JR', alice, 'public');
    main.join('MB', bob);
    main.join('MC', charlie);
    main.powerLevels('P2', alice, users(room, { [bob]: 50 }));
    main.powerLevels('P3', bob, users(room, { [bob]: 50, [charlie]: 50 }));
    main.join('ME1', evelyn);
    main.add('ME2', { type: 'm.room.member', sender: evelyn, stateKey: evelyn, content: { membership: 'join', displayname: 'Eve' }, auth: auth(room, ['P1', 'JR', 'ME1']) });
    main.join('MZ', zara);
    const dodgy = room.stateOf('CREATE', 'MA', 'MB', 'MC', 'ME2', 'P1', 'JR');
    const sensible = room.stateOf('CREATE', 'MA', 'MB', 'MC', 'MZ', 'P3', 'JR');
    return { room, states: [dodgy, sensible] };
  }

  it('v2 (room version 11): the power levels reset to P1, as P2 is not in the full conflicted set', async () => {
    const { room, states } = replayedSubgraph('11');
    // Full conflicted set {P1, P3, ME2, MZ} ∪ auth difference {ME1, ME2, MZ} (P1 is cited by MB, in
    // both). P1 (Alice) sorts before P3 (Bob) and P3 fails: Bob has 0 under P1. Mainline of P1: ME1,
    // ME2 and MZ all reach P1, so by timestamp ME1, ME2, MZ: Evelyn ends on ME2.
    const resolved = await resolveState(room.roomId, room.rules, states, room.source);
    expect(room.labelled(resolved)).to.deep.equal(room.labelled(room.stateOf('CREATE', 'MA', 'MB', 'MC', 'JR', 'P1', 'ME2', 'MZ')));
  });

  it('v2.1 (room version 12): the conflicted state subgraph replays P2, so P3 holds and Evelyn\'s P3-epoch join is last', async () => {
    const { room, states } = replayedSubgraph('12');
    // Subgraph: P3 → P2 → P1, P3 → MB → P1, ME2 → ME1 → P3, MB/ME1/MZ → JR → P1. Power order P1, JR,
    // P2, MB, P3 from the empty state: all pass. Mainline P3, P2, P1: ME2 (position 2) first, then
    // ME1 and MZ (position 0): Evelyn ends on ME1.
    const resolved = await resolveState(room.roomId, room.rules, states, room.source);
    expect(room.labelled(resolved)).to.deep.equal(room.labelled(room.stateOf('CREATE', 'MA', 'MB', 'MC', 'JR', 'P3', 'ME1', 'MZ')));
    // The create event is never in the auth difference (Synapse's check that the subgraph is not too wide).
    const difference = await authDifference(states, new EventCache(room.source));
    expect(difference.has(room.event('CREATE').eventId)).to.equal(false);
  });

  it('v2.1: a state without the power levels at all (one missing key) does not unset them', async () => {
    const { room, main } = TestRoom.create('12', alice);
    main.join('MA', alice);
    main.powerLevels('P1', alice, {});
    main.joinRules('JR', alice, 'public');
    main.join('MB', bob);
    const full = main.stateIds();
    const stripped = new Map(full);
    stripped.delete(stateKeyOf('m.room.power_levels', ''));
    const resolved = await resolveState(room.roomId, room.rules, [stripped, full], room.source);
    expect(room.label(resolved.get(stateKeyOf('m.room.power_levels', ''))!)).to.equal('P1');
  });
});

describe('rooms/v2 "Iterative auth checks"', () => {
  it('takes a missing key from the event\'s auth events, but not from a rejected one', async () => {
    const { room, main } = TestRoom.create('10', alice);
    main.join('MA', alice);
    main.joinRules('JR', alice, 'public');
    main.join('MB', bob);
    const beforeLevels = main.stateIds();
    main.powerLevels('PL', alice, { [alice]: 100, [bob]: 50 });
    const topic = main.topic('TB', bob);
    const check = async (rejected: EventId[]) => {
      for (const id of rejected) room.source.markRejected(id);
      const state = await iterativeAuthChecks([topic.eventId], new Map(beforeLevels), new EventCache(room.source, room.roomId), room.rules);
      return state.has(stateKeyOf('m.room.topic', ''));
    };
    // The state lacks power levels, so PL comes from TB's auth events: Bob (50) may set the topic.
    expect(await check([])).to.equal(true);
    // With PL rejected, no power levels apply: Bob has 0 and state events need 50.
    expect(await check([room.event('PL').eventId])).to.equal(false);
  });

  it('checks a rejected event like any other ("Rejected events": rejection by state is not final)', async () => {
    const { room, main } = TestRoom.create('10', alice);
    main.join('MA', alice);
    main.powerLevels('PL', alice, { [alice]: 100, [bob]: 50 });
    main.joinRules('JR', alice, 'public');
    main.join('MB', bob);
    const before = main.stateIds();
    const topic = main.topic('TB', bob);
    room.source.markRejected(topic.eventId);
    const state = await iterativeAuthChecks([topic.eventId], new Map(before), new EventCache(room.source, room.roomId), room.rules);
    expect(room.label(state.get(stateKeyOf('m.room.topic', ''))!)).to.equal('TB');
  });

  it('prefers the partially resolved state over the event\'s own auth events', async () => {
    const { room, main } = TestRoom.create('10', alice);
    main.join('MA', alice);
    main.powerLevels('P1', alice, { [alice]: 100, [bob]: 50 });
    main.joinRules('JR', alice, 'public');
    main.join('MB', bob);
    const demoted = main.fork();
    const topic = main.topic('TB', bob);
    demoted.powerLevels('P2', alice, { [alice]: 100 });
    const state: Map<StateKey, EventId> = demoted.stateIds();
    await iterativeAuthChecks([topic.eventId], state, new EventCache(room.source, room.roomId), room.rules);
    // TB cites P1 (Bob at 50), but the state holds P2 (Bob at 0).
    expect(state.has(stateKeyOf('m.room.topic', ''))).to.equal(false);
  });
});
