/**
 * Property: a resolution depends only on the states and the events, never on the order the states are
 * given in, the order of the entries of each state, or the order the event source answers in (rooms/v2
 * "State resolution": every server must reach the same state). Random forked rooms from a seeded PRNG.
 */
import { expect } from 'chai';
import type { RoomEvent, StateKey } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import type { EventSource } from './event-source.ts';
import { resolveState } from './resolve-state.ts';
import { prng, TestRoom, type Branch } from './test-dag.ts';


function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/** Answers in a shuffled order, in batches split at random, to shake out any order dependence. */
class ShuffledSource implements EventSource {
  constructor(
    private readonly inner: EventSource,
    private readonly random: () => number,
  ) {}

  async getEvents(ids: readonly EventId[]): Promise<Map<EventId, RoomEvent>> {
    const found = await this.inner.getEvents(shuffle(ids, this.random));
    return new Map(shuffle([...found], this.random));
  }
}

const users = ['@alice:example.com', '@bob:example.com', '@charlie:example.com', '@dave:example.com', '@erin:example.com', '@frank:example.com'];
const alice = users[0]!;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A room with members and power levels, then forks that each add random state events, some forking again. */
function randomRoom(version: string, seed: number): { room: TestRoom; leaves: Branch[] } {
  const random = prng(seed);
  const { room, main } = TestRoom.create(version, alice);
  const creatorListed = !room.rules.privilegedCreators;
  const levels = (entries: [string, number][]) => Object.fromEntries(entries.filter(([user]) => creatorListed || user !== alice));
  main.join('JOIN-alice', alice);
  main.powerLevels('PL0', alice, levels([[alice, 100], [users[1]!, 50], [users[2]!, 50]]));
  main.joinRules('JR0', alice, 'public');
  for (const user of users.slice(1)) main.join(`JOIN-${user.slice(1, 4)}`, user);
  let counter = 0;
  const leaves: Branch[] = [main.fork(), main.fork()];
  for (let step = 0; step < 24; step++) {
    const branch = pick(leaves, random);
    const sender = pick(users, random);
    const target = pick(users, random);
    const label = `E${++counter}`;
    const choice = random();
    if (choice < 0.25) branch.topic(label, sender);
    else if (choice < 0.45) branch.powerLevels(label, sender, levels(users.map((user) => [user, pick([0, 0, 50, 100], random)])));
    else if (choice < 0.7) branch.member(label, sender, target, pick(['ban', 'leave', 'invite'], random));
    else if (choice < 0.85) branch.join(label, sender, { displayname: label });
    else if (choice < 0.93) branch.joinRules(label, sender, pick(['public', 'invite'], random));
    else branch.message(label, sender);
    if (random() < 0.12 && leaves.length < 4) leaves.push(branch.fork());
  }
  return { room, leaves };
}

describe('state resolution does not depend on input order (property, seeded)', () => {
  for (const version of ['1', '2', '10', '12']) {
    it(`room version ${version}: shuffled state sets, state entries and source answers give one result`, async () => {
      for (let seed = 1; seed <= 12; seed++) {
        const { room, leaves } = randomRoom(version, seed * 7919 + Number(version));
        const states = leaves.map((leaf) => leaf.stateIds());
        const reference = room.labelled(await resolveState(room.roomId, room.rules, states, room.source));
        const random = prng(seed);
        for (let run = 0; run < 12; run++) {
          const shuffled = shuffle(states, random).map((state) => new Map<StateKey, EventId>(shuffle([...state], random)));
          const resolved = await resolveState(room.roomId, room.rules, shuffled, new ShuffledSource(room.source, random));
          expect(room.labelled(resolved), `seed ${seed}, run ${run}`).to.deep.equal(reference);
        }
      }
    });
  }
});
