import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { EventId } from '../ids/identifiers.ts';
import { computeAuthChain, computeAuthDifference, conflictedStateSubgraph } from './auth-chain.ts';
import { EventCache } from './event-source.ts';
import { kahnSort } from './power-ordering.ts';
import { separateStateV1, separateStateV2 } from './separate-state.ts';
import { sha1Hex } from './sha1.ts';
import { TestRoom, type Branch } from './test-dag.ts';

const alice = '@alice:example.com';
const bob = '@bob:example.com';
const charlie = '@charlie:example.com';

/** CREATE, IMA, IPOWER, IJR, IMB, IMC: Alice's public room with Bob and Charlie in it. */
function publicRoom(version: string): { room: TestRoom; main: Branch } {
  const { room, main } = TestRoom.create(version, alice);
  main.join('IMA', alice);
  main.powerLevels('IPOWER', alice, { [alice]: 100 });
  main.joinRules('IJR', alice, 'public');
  main.join('IMB', bob);
  main.join('IMC', charlie);
  return { room, main };
}

function labels(room: TestRoom, ids: Iterable<EventId>): string[] {
  return [...ids].map((id) => room.label(id)).sort();
}

describe('state resolution building blocks', () => {
  describe('rooms/v2 "Auth chain"', () => {
    it('is every event reachable through auth_events, not the event itself', async () => {
      const { room, main } = publicRoom('10');
      const topic = main.topic('T', alice);
      expect(topic.authEventIds.map((id) => room.label(id)).sort()).to.deep.equal(['CREATE', 'IMA', 'IPOWER']);
      expect(labels(room, await computeAuthChain([topic.eventId], room.source))).to.deep.equal(['CREATE', 'IMA', 'IPOWER']);
      // Bob's join cites the create event, power levels and join rules; those cite Alice's join.
      expect(labels(room, await computeAuthChain([room.event('IMB').eventId], room.source))).to.deep.equal(['CREATE', 'IJR', 'IMA', 'IPOWER']);
    });

    it('of several events is the union of their chains, a given event included when another cites it', async () => {
      const { room } = publicRoom('10');
      const chain = await computeAuthChain([room.event('IMB').eventId, room.event('IPOWER').eventId], room.source);
      expect(labels(room, chain)).to.deep.equal(['CREATE', 'IJR', 'IMA', 'IPOWER']);
    });

    it('stops at events the source does not have', async () => {
      const { room, main } = publicRoom('10');
      const topic = main.add('T', { type: 'm.room.topic', sender: alice, stateKey: '', auth: ['IJR'] });
      const withoutJoinRules = { getEvents: (ids: readonly EventId[]) => room.source.getEvents(ids.filter((id) => id !== room.event('IJR').eventId)) };
      // IJR is cited, so it is in the chain, but what it cites cannot be known.
      expect(labels(room, await computeAuthChain([topic.eventId], withoutJoinRules))).to.deep.equal(['IJR']);
      expect(labels(room, await computeAuthChain([topic.eventId], room.source))).to.deep.equal(['CREATE', 'IJR', 'IMA', 'IPOWER']);
    });

    it('does not list the create event for room version 12 events, whose room ID names it', async () => {
      const { room, main } = TestRoom.create('12', alice);
      main.join('IMA', alice);
      const levels = main.powerLevels('IPOWER', alice, {});
      expect(labels(room, levels.authEventIds)).to.deep.equal(['IMA']);
      expect(labels(room, await computeAuthChain([levels.eventId], room.source))).to.deep.equal(['IMA']);
    });
  });

  describe('rooms/v2 "Auth difference"', () => {
    it('is the events in some but not all of the states\' full auth chains (ban vs. power levels fork)', async () => {
      const { room, main } = publicRoom('10');
      main.powerLevels('PA', alice, { [alice]: 100, [bob]: 50 });
      const a = main.fork();
      const b = main.fork();
      a.join('MA', alice);
      a.member('MB', alice, bob, 'ban');
      b.powerLevels('PB', bob, { [alice]: 100, [bob]: 50 });
      // PA is in both (B's PB cites it); IMA and IMB are in both (cited by MA and MB).
      const difference = await computeAuthDifference([a.stateIds(), b.stateIds()], room.source);
      expect(labels(room, difference)).to.deep.equal(['MA', 'MB', 'PB']);
    });

    it('is empty for identical states and for a single state', async () => {
      const { room, main } = publicRoom('10');
      expect((await computeAuthDifference([main.stateIds(), main.stateIds()], room.source)).size).to.equal(0);
      expect((await computeAuthDifference([main.stateIds()], room.source)).size).to.equal(0);
    });

    it('leaves out events in no state\'s chain (an earlier topic both branches replaced)', async () => {
      const { room, main } = publicRoom('10');
      const old = main.fork();
      main.topic('T1', alice);
      const newer = main.fork();
      newer.topic('T2', alice);
      old.topic('T0', alice);
      // Topics are not auth events, so T1 is in no chain once both states have replaced it.
      const difference = await computeAuthDifference([old.stateIds(), newer.stateIds()], room.source);
      expect(labels(room, difference)).to.deep.equal(['T0', 'T2']);
    });
  });

  describe('rooms/v12 "Conflicted state subgraph"', () => {
    it('is the events on auth_events paths between conflicted events, endpoints included', async () => {
      const { room, main } = TestRoom.create('12', alice);
      main.join('MA', alice);
      main.powerLevels('P1', alice, {});
      main.joinRules('JR', alice, 'public');
      main.join('MB', bob);
      main.powerLevels('P2', alice, { [bob]: 50 });
      main.powerLevels('P3', bob, { [bob]: 50, [charlie]: 50 });
      main.join('ME', charlie);
      const conflicted = new Set([room.event('P1').eventId, room.event('P3').eventId, room.event('ME').eventId]);
      const subgraph = await conflictedStateSubgraph(conflicted, new EventCache(room.source));
      // P3 → P2 → P1 and P3 → MB → P1 and MB → JR → P1; MA is below P1 but leads to no conflicted event.
      expect(labels(room, subgraph)).to.deep.equal(['JR', 'MB', 'ME', 'P1', 'P2', 'P3']);
    });

    it('is just the conflicted events when no path joins them', async () => {
      const { room, main } = TestRoom.create('12', alice);
      main.join('MA', alice);
      const a = main.fork();
      const b = main.fork();
      a.topic('TA', alice);
      b.topic('TB', alice);
      const conflicted = new Set([room.event('TA').eventId, room.event('TB').eventId]);
      expect(labels(room, await conflictedStateSubgraph(conflicted, new EventCache(room.source)))).to.deep.equal(['TA', 'TB']);
    });
  });

  describe('unconflicted state map and conflicted state set', () => {
    const key = (type: string, stateKey: string) => `${type}\u0000${stateKey}` as const;
    const s1 = new Map([
      [key('m.room.create', ''), '$c' as EventId],
      [key('m.room.topic', ''), '$t1' as EventId],
      [key('m.room.name', ''), '$n' as EventId],
    ]);
    const s2 = new Map([
      [key('m.room.create', ''), '$c' as EventId],
      [key('m.room.topic', ''), '$t2' as EventId],
    ]);

    it('rooms/v2: a key missing from some state is conflicted', () => {
      const { unconflicted, conflicted } = separateStateV2([s1, s2]);
      expect([...unconflicted]).to.deep.equal([[key('m.room.create', ''), '$c']]);
      expect([...conflicted].map(([k, ids]) => [k, [...ids].sort()])).to.deep.equal([
        [key('m.room.topic', ''), ['$t1', '$t2']],
        [key('m.room.name', ''), ['$n']],
      ]);
    });

    it('rooms/v1: only different event IDs conflict; R starts as the union without them', () => {
      const { unconflicted, conflicted } = separateStateV1([s1, s2]);
      expect(new Map(unconflicted)).to.deep.equal(new Map([[key('m.room.create', ''), '$c'], [key('m.room.name', ''), '$n']]));
      expect([...conflicted].map(([k, ids]) => [k, [...ids].sort()])).to.deep.equal([[key('m.room.topic', ''), ['$t1', '$t2']]]);
    });
  });

  describe('rooms/v2 "Reverse topological power ordering" (Kahn\'s algorithm)', () => {
    it('orders auth events first, breaking ties by power level, then origin_server_ts, then event ID', () => {
      const ids = ['$l', '$m', '$n', '$o', '$p'] as EventId[];
      const [l, m, n, o, p] = ids as [EventId, EventId, EventId, EventId, EventId];
      const graph = new Map<EventId, EventId[]>([[l, [o]], [m, [n, o]], [n, [o]], [o, []], [p, [o]]]);
      const equal = new Map(ids.map((id) => [id, { id, power: 0, ts: 0 }]));
      expect(kahnSort(graph, equal)).to.deep.equal(['$o', '$l', '$n', '$m', '$p']);
      // p's sender is more powerful: it goes first among the ready events; then the earliest timestamp.
      const weighted = new Map(ids.map((id) => [id, { id, power: id === p ? 100 : 0, ts: id === n ? 1 : 2 }]));
      expect(kahnSort(graph, weighted)).to.deep.equal(['$o', '$p', '$n', '$l', '$m']);
    });
  });

  describe('sha1 (rooms/v1 ordering)', () => {
    it('matches the FIPS 180 test vectors', () => {
      expect(sha1Hex('')).to.equal('da39a3ee5e6b4b0d3255bfef95601890afd80709');
      expect(sha1Hex('abc')).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(sha1Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).to.equal('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
      for (const text of ['a'.repeat(55), 'b'.repeat(56), 'c'.repeat(64), 'd'.repeat(1000), '$événement:example.com', '$😀:example.org']) {
        expect(sha1Hex(text)).to.equal(createHash('sha1').update(text, 'utf8').digest('hex'));
      }
    });
  });
});
