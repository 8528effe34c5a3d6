/**
 * State resolution in room version 1 (rooms/v1 "State resolution"): what the spec documents, including
 * the weaknesses that led to v2. Event IDs are `$LABEL:example.com`; where the order depends on
 * sha1(event_id), the digests are written next to the test.
 */
import { expect } from 'chai';
import { stateKeyOf, type StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { resolveState } from './resolve-state.ts';
import { TestRoom, type Branch } from './test-dag.ts';

const alice = '@alice:example.com';
const bob = '@bob:example.com';
const charlie = '@charlie:example.com';
const evelyn = '@evelyn:example.com';

function startRoom(version = '1'): { room: TestRoom; main: Branch } {
  const { room, main } = TestRoom.create(version, alice);
  main.join('IMA', alice);
  main.powerLevels('IPOWER', alice, { [alice]: 100 });
  main.joinRules('IJR', alice, 'public');
  main.join('IMB', bob);
  main.join('IMC', charlie);
  return { room, main };
}

async function resolve(room: TestRoom, ...branches: Branch[]): Promise<Map<StateKey, EventId>> {
  return resolveState(room.roomId, room.rules, branches.map((branch) => branch.stateIds()), room.source);
}

function holder(room: TestRoom, state: ReadonlyMap<StateKey, EventId>, type: string, stateKey = ''): string | undefined {
  const id = state.get(stateKeyOf(type, stateKey));
  return id === undefined ? undefined : room.label(id);
}

describe('rooms/v1 "State resolution"', () => {
  it('R starts as the union of the states: a key only one state has is not a conflict and is not checked', async () => {
    const { room, main } = startRoom();
    const a = main.fork();
    const b = main.fork();
    a.topic('TB', bob); // Bob has 0 and topics need 50: this would fail any auth check.
    b.message('HELLO', charlie);
    expect(holder(room, await resolve(room, a, b), 'm.room.topic')).to.equal('TB');
  });

  it('…which lets a join slip past concurrent join rules (v2 drops it)', async () => {
    for (const version of ['1', '2']) {
      const { room, main } = startRoom(version);
      const a = main.fork();
      const b = main.fork();
      a.joinRules('JR', alice, 'invite');
      b.join('ME', evelyn);
      const resolved = await resolve(room, a, b);
      expect(holder(room, resolved, 'm.room.join_rules')).to.equal('JR');
      expect(holder(room, resolved, 'm.room.member', evelyn)).to.equal(room.rules.stateResolution === 'v1' ? 'ME' : undefined);
    }
  });

  describe('power levels conflicts: ascending depth, then descending sha1(event_id); keep each while allowed', () => {
    it('the deeper power levels win when their sender may send them on the shallower', async () => {
      const { room, main } = startRoom();
      const a = main.fork();
      const b = main.fork();
      a.powerLevels('PA', alice, { [alice]: 100, [bob]: 50 });
      b.message('M1', alice);
      b.message('M2', alice);
      b.powerLevels('PB', alice, { [alice]: 100, [charlie]: 50 });
      expect(holder(room, await resolve(room, a, b), 'm.room.power_levels')).to.equal('PB');
    });

    it('a demotion holds whichever side is deeper: the demoted user\'s change fails after it, and it passes after theirs', async () => {
      for (const demotionDeeper of [false, true]) {
        const { room, main } = startRoom();
        main.powerLevels('P50', alice, { [alice]: 100, [bob]: 50 });
        const a = main.fork();
        const b = main.fork();
        if (demotionDeeper) a.message('M1', alice);
        a.powerLevels('DEMOTE', alice, { [alice]: 100 });
        if (!demotionDeeper) b.message('M2', bob);
        b.powerLevels('PB', bob, { [alice]: 100, [bob]: 50, [charlie]: 50 });
        expect(holder(room, await resolve(room, a, b), 'm.room.power_levels'), `demotion deeper: ${demotionDeeper}`).to.equal('DEMOTE');
      }
    });

    it('at equal depth, the larger sha1 goes first, so the smaller sha1 ends in R when allowed', async () => {
      const { room, main } = startRoom();
      const a = main.fork();
      const b = main.fork();
      a.powerLevels('PX', alice, { [alice]: 100, [bob]: 50 }); // sha1($PX:example.com) = bfb549d6…
      b.powerLevels('PY', alice, { [alice]: 100, [charlie]: 50 }); // sha1($PY:example.com) = d1057e71…
      expect(holder(room, await resolve(room, a, b), 'm.room.power_levels')).to.equal('PX');
    });
  });

  describe('member conflicts, each key on its own, after power levels and join rules', () => {
    it('ban vs. join: the ban holds whichever is deeper', async () => {
      for (const banDeeper of [false, true]) {
        const { room, main } = startRoom();
        const a = main.fork();
        const b = main.fork();
        if (banDeeper) a.message('M1', alice);
        a.member('BAN', alice, bob, 'ban');
        if (!banDeeper) b.message('M2', bob);
        b.join('REJOIN', bob, { displayname: 'Bob' });
        expect(holder(room, await resolve(room, a, b), 'm.room.member', bob), `ban deeper: ${banDeeper}`).to.equal('BAN');
      }
    });

    it('are checked against the resolved power levels: a kick by a concurrently demoted moderator fails', async () => {
      const { room, main } = startRoom();
      main.powerLevels('P50', alice, { [alice]: 100, [bob]: 50 });
      const a = main.fork();
      const b = main.fork();
      a.message('M1', bob);
      a.message('M2', bob);
      a.member('KICK', bob, charlie, 'leave');
      b.powerLevels('DEMOTE', alice, { [alice]: 100 });
      b.join('CJ', charlie, { displayname: 'Charlie' });
      // Power levels: P50 then DEMOTE (allowed). Charlie: CJ (shallower) then KICK, which fails under DEMOTE.
      const resolved = await resolve(room, a, b);
      expect(holder(room, resolved, 'm.room.power_levels')).to.equal('DEMOTE');
      expect(holder(room, resolved, 'm.room.member', charlie)).to.equal('CJ');
    });
  });

  describe('other conflicts: the highest depth and lowest sha1(event_id) that passes authentication in R', () => {
    it('the deeper allowed event wins', async () => {
      const { room, main } = startRoom();
      const a = main.fork();
      const b = main.fork();
      b.message('M1', alice);
      b.topic('TC', alice);
      a.topic('TA', alice, 'sent later but shallower');
      expect(holder(room, await resolve(room, a, b), 'm.room.topic')).to.equal('TC');
    });

    it('a deeper event R does not allow is passed over', async () => {
      const { room, main } = startRoom();
      const a = main.fork();
      const b = main.fork();
      a.topic('TA', alice);
      b.message('M1', bob);
      b.topic('TB', bob);
      expect(holder(room, await resolve(room, a, b), 'm.room.topic')).to.equal('TA');
    });

    it('when none passes, the last in that order (the shallowest) is taken, as Synapse does', async () => {
      const { room, main } = startRoom();
      const a = main.fork();
      const b = main.fork();
      a.topic('TX', bob);
      b.message('M1', charlie);
      b.topic('TY', charlie);
      expect(holder(room, await resolve(room, a, b), 'm.room.topic')).to.equal('TX');
    });
  });

  it('keeps unconflicted state and resolves three states', async () => {
    const { room, main } = startRoom();
    const a = main.fork();
    const b = main.fork();
    const c = main.fork();
    a.topic('TA', alice);
    b.message('M1', alice);
    b.topic('TC', alice);
    c.member('LEAVE', charlie, charlie, 'leave');
    const resolved = await resolve(room, a, b, c);
    expect(room.labelled(resolved)).to.deep.equal(room.labelled(new Map([...main.stateIds(), ...room.stateOf('TC', 'LEAVE')])));
  });
});
