/**
 * State resolution v2 (rooms/v2 "State resolution") on the classic races, each resolved from two
 * branches of a small room. The expected states are worked out from the algorithm in the comments;
 * most scenarios are the ones Synapse's and ruma's suites use, so the three agree. They run in room
 * versions 2 and 10 (v2) and 12 (v2.1), where none of them differ.
 */
import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import type { StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { resolveState } from './resolve-state.ts';
import { Branch, TestRoom } from './test-dag.ts';

const alice = '@alice:example.com';
const bob = '@bob:example.com';
const charlie = '@charlie:example.com';
const evelyn = '@evelyn:example.com';
const zara = '@zara:example.com';

/** Power levels users map; room version 12 creators have infinite power and must not be listed. */
function users(room: TestRoom, levels: Record<string, number>): Record<string, number> {
  if (!room.rules.privilegedCreators) return levels;
  return Object.fromEntries(Object.entries(levels).filter(([user]) => user !== alice));
}

/** The state at START: Alice's public room with Bob, Charlie and Zara, Alice at 100. */
function startRoom(version: string): { room: TestRoom; main: Branch } {
  const { room, main } = TestRoom.create(version, alice);
  main.join('IMA', alice);
  main.powerLevels('IPOWER', alice, users(room, { [alice]: 100 }));
  main.joinRules('IJR', alice, 'public');
  main.join('IMB', bob);
  main.join('IMC', charlie);
  main.join('IMZ', zara);
  main.message('START', zara);
  return { room, main };
}

function powerLevels(branch: Branch, label: string, sender: string, levels: Record<string, number>, rest: JsonObject = {}): void {
  branch.powerLevels(label, sender, users(branch.room, levels), rest);
}

async function resolve(room: TestRoom, ...branches: Branch[]): Promise<Map<StateKey, EventId>> {
  return resolveState(room.roomId, room.rules, branches.map((branch) => branch.stateIds()), room.source);
}

/** The state at `start` with the events `labels` in place (and `removed` keys gone). */
function expectState(room: TestRoom, resolved: ReadonlyMap<StateKey, EventId>, start: Branch, labels: string[], removed: StateKey[] = []): void {
  const expected = new Map([...start.stateIds(), ...room.stateOf(...labels)]);
  for (const key of removed) expected.delete(key);
  expect(room.labelled(resolved)).to.deep.equal(room.labelled(expected));
}

for (const version of ['2', '10', '12']) {
  describe(`rooms/v2 "State resolution" races (room version ${version})`, () => {
    it('ban vs. power levels: a ban by the admin beats the banned moderator\'s concurrent power levels', async () => {
      const { room, main } = startRoom(version);
      powerLevels(main, 'PA', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.join('MA', alice);
      a.member('MB', alice, bob, 'ban');
      powerLevels(b, 'PB', bob, { [alice]: 100, [bob]: 50 });
      // Power events MB (Alice, 100) and PB (Bob, 50) sort MB first; PB then fails: Bob is banned.
      expectState(room, await resolve(room, a, b), start, ['PA', 'MA', 'MB']);
    });

    it('ban vs. join: a ban wins over the banned user\'s concurrent join', async () => {
      const { room, main } = startRoom(version);
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.member('BAN', alice, bob, 'ban');
      b.join('REJOIN', bob, { displayname: 'Bob' });
      // BAN is a power event, applied first; REJOIN (mainline ordering) is then a banned user's join.
      expectState(room, await resolve(room, a, b), start, ['BAN']);
    });

    it('join rules vs. join: a join that only the old join rules allowed is dropped', async () => {
      const { room, main } = startRoom(version);
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.joinRules('JR', alice, 'invite');
      b.join('ME', evelyn);
      const resolved = await resolve(room, a, b);
      expectState(room, resolved, start, ['JR']);
      expect(resolved.has(`m.room.member\u0000${evelyn}`)).to.equal(false);
    });

    it('join rules vs. join: an invited user\'s join survives the change to invite-only', async () => {
      const { room, main } = startRoom(version);
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.joinRules('JR', alice, 'invite');
      b.member('INVITE', alice, evelyn, 'invite');
      b.join('ME', evelyn);
      expectState(room, await resolve(room, a, b), start, ['JR', 'ME']);
    });

    it('power level revocation: the demoted moderator\'s concurrent kick and topic fail', async () => {
      const { room, main } = startRoom(version);
      powerLevels(main, 'PA', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      powerLevels(a, 'DEMOTE', alice, { [alice]: 100, [bob]: 0 });
      b.member('KICK', bob, charlie, 'leave');
      b.topic('TOPIC', bob);
      // DEMOTE (Alice, 100) sorts before KICK (Bob, 50 under PA); KICK then fails, and so does TOPIC.
      const resolved = await resolve(room, a, b);
      expectState(room, resolved, start, ['DEMOTE']);
      expect(resolved.has('m.room.topic\u0000')).to.equal(false);
    });

    it('a moderator\'s power levels change built on their own earlier change is kept (offtopic PL)', async () => {
      const { room, main } = startRoom(version);
      powerLevels(main, 'PA', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const b = main.fork();
      powerLevels(main, 'PB', bob, { [alice]: 100, [bob]: 50, [charlie]: 50 });
      powerLevels(main, 'PC', charlie, { [alice]: 100, [bob]: 50, [charlie]: 0 });
      // PA, PB, PC in auth order; each is allowed on the one before.
      expectState(room, await resolve(room, main, b), start, ['PC']);
    });

    it('topic (basic): the topic sent under the power levels that win is kept', async () => {
      const { room, main } = startRoom(version);
      main.topic('T1', alice);
      powerLevels(main, 'PA1', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.topic('T2', alice);
      powerLevels(a, 'PA2', alice, { [alice]: 100, [bob]: 0 });
      powerLevels(b, 'PB', bob, { [alice]: 100, [bob]: 50 });
      b.topic('T3', bob);
      // PA2 (Alice) sorts before PB (Bob); PB fails under PA2. Mainline of PA2 is PA2, PA1, …: T2 and T3
      // both cite PA1, T2 is older and goes first, T3 (Bob, now 0) fails.
      expectState(room, await resolve(room, a, b), start, ['PA2', 'T2']);
    });

    it('topic reset: a branch from before a ban and a power change cannot bring the old topic back… or keep the new', async () => {
      const { room, main } = startRoom(version);
      main.topic('T1', alice);
      const start = main.fork();
      const b = main.fork();
      powerLevels(main, 'PA', alice, { [alice]: 100, [bob]: 50 });
      main.topic('T2', bob);
      main.member('MB', alice, bob, 'ban');
      // Power events PA then MB; T2 (Bob's) is then checked after Bob's ban and fails: T1 stays.
      expectState(room, await resolve(room, main, b), start, ['T1', 'MB', 'PA']);
    });

    it('topic: after a merge, the topic sent since wins and the power levels on the admin\'s branch hold', async () => {
      const { room, main } = startRoom(version);
      main.topic('T1', alice);
      powerLevels(main, 'PA1', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.topic('T2', alice);
      powerLevels(a, 'PA2', alice, { [alice]: 100, [bob]: 0 });
      powerLevels(b, 'PB', bob, { [alice]: 100, [bob]: 50 });
      b.topic('T3', bob);
      const merged = await Branch.merge([a, b]);
      merged.message('MZ1', zara);
      const end = merged.fork();
      end.topic('T4', alice);
      expectState(room, await resolve(room, end, merged), start, ['T4', 'PA2']);
    });

    it('mainline ordering: a topic citing the newest mainline power levels beats a later one citing an older', async () => {
      const { room, main } = startRoom(version);
      main.topic('T1', alice);
      powerLevels(main, 'PA1', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.topic('T2', alice);
      powerLevels(a, 'PA2', alice, { [alice]: 100, [bob]: 50 }, { events: { 'm.room.power_levels': 100 } });
      a.topic('T3', bob);
      powerLevels(b, 'PB', bob, { [alice]: 100, [bob]: 50 });
      b.topic('T4', alice);
      // PA2 wins (PB needs 100 under it). Mainline PA2, PA1: T3 cites PA2 (position 0), T2 and T4 cite
      // PA1 (position 1) and go first, so T3 is applied last although T4 was sent after it.
      expectState(room, await resolve(room, a, b), start, ['T3', 'PA2']);
    });

    it('resolving identical states, or one state, returns it unchanged', async () => {
      const { room, main } = startRoom(version);
      const state = main.stateIds();
      expect(room.labelled(await resolve(room, main, main))).to.deep.equal(room.labelled(state));
      expect(room.labelled(await resolveState(room.roomId, room.rules, [state], room.source))).to.deep.equal(room.labelled(state));
      expect((await resolveState(room.roomId, room.rules, [], room.source)).size).to.equal(0);
    });

    it('a key only one branch set is kept when allowed (no conflict in its events\' auth)', async () => {
      const { room, main } = startRoom(version);
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      a.add('NAME', { type: 'm.room.name', sender: alice, stateKey: '', content: { name: 'Room' } });
      b.message('HELLO', bob);
      expectState(room, await resolve(room, a, b), start, ['NAME']);
    });

    it('three states resolve together', async () => {
      const { room, main } = startRoom(version);
      powerLevels(main, 'PA', alice, { [alice]: 100, [bob]: 50 });
      const start = main.fork();
      const a = main.fork();
      const b = main.fork();
      const c = main.fork();
      a.topic('TA', alice);
      powerLevels(b, 'DEMOTE', alice, { [alice]: 100 });
      c.topic('TC', bob);
      // DEMOTE is applied first; mainline of DEMOTE is DEMOTE, PA, IPOWER: TA and TC both cite PA,
      // TA is older; TC (Bob, now 0) fails, so TA stays.
      expectState(room, await resolve(room, a, b, c), start, ['DEMOTE', 'TA']);
    });
  });
}
