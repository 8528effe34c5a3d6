/**
 * State resolution on a large room: 10,000 joined members (create, power levels, join rules, then
 * 10,000 joins, each citing the auth events the rules select), forked in two, each fork adding 250
 * state events (joins, leaves, kicks, bans, display names, power level changes, topics). Times
 * `resolveState` on the two fork states (median of several runs, room versions 10 and 12) and the
 * auth chain computation for one event and for the whole state (federation /state).
 */
import { computeAuthChain } from '../src/core/state-resolution/auth-chain.ts';
import { resolveState } from '../src/core/state-resolution/resolve-state.ts';
import { separateStateV2 } from '../src/core/state-resolution/separate-state.ts';
import { prng, TestRoom, type Branch } from '../src/core/state-resolution/test-dag.ts';

const members = 10_000;
const forkEvents = 250;
const runs = 7;

const admin = '@admin:example.com';
const moderators = Array.from({ length: 5 }, (_, i) => `@mod${i}:example.com`);
const member = (i: number) => `@user${i}:example.com`;


function buildRoom(version: string): { room: TestRoom; a: Branch; b: Branch } {
  const { room, main } = TestRoom.create(version, admin);
  const listed = (levels: Record<string, number>) => (room.rules.privilegedCreators ? levels : { [admin]: 100, ...levels });
  const moderatorLevels = Object.fromEntries(moderators.map((mod) => [mod, 50]));
  main.join('join-admin', admin);
  main.powerLevels('pl-0', admin, listed(moderatorLevels));
  main.joinRules('join-rules', admin, 'public');
  for (const mod of moderators) main.join(`join-${mod}`, mod);
  for (let i = 0; i < members; i++) main.join(`join-${i}`, member(i));

  const forks = [main.fork(), main.fork()] as const;
  forks.forEach((fork, f) => {
    const random = prng(f + 1);
    let topics = 0;
    let levels = 0;
    for (let n = 0; n < forkEvents; n++) {
      const label = `f${f}-${n}`;
      const user = member(Math.floor(random() * members));
      const choice = random();
      if (choice < 0.1) fork.topic(label, moderators[topics++ % moderators.length]!);
      else if (choice < 0.2) {
        const promoted = Object.fromEntries(Array.from({ length: ++levels % 7 }, (_, i) => [member(i * 97 + f), 10]));
        fork.powerLevels(label, admin, listed({ ...moderatorLevels, ...promoted }));
      } else if (choice < 0.4) fork.member(label, moderators[n % moderators.length]!, user, 'leave');
      else if (choice < 0.5) fork.member(label, admin, user, 'ban');
      else if (choice < 0.75) fork.member(label, user, user, 'leave');
      else fork.join(label, user, { displayname: label });
    }
  });
  return { room, a: forks[0], b: forks[1] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(2));
}

async function timeRuns(work: () => Promise<unknown>): Promise<number> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function stateResolutionFigures(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = { members, 'state events per fork': forkEvents, runs };
  for (const version of ['10', '12']) {
    const buildStart = performance.now();
    const { room, a, b } = buildRoom(version);
    const states = [a.stateIds(), b.stateIds()];
    figures[`v${version}: room events`] = room.source.size;
    figures[`v${version}: build room, ms`] = Math.round(performance.now() - buildStart);
    figures[`v${version}: conflicted state keys`] = separateStateV2(states).conflicted.size;
    const resolved = await resolveState(room.roomId, room.rules, states, room.source);
    figures[`v${version}: resolved state entries`] = resolved.size;
    figures[`v${version}: resolveState two forks, ms (median)`] = await timeRuns(() => resolveState(room.roomId, room.rules, states, room.source));

    const lastEvent = room.event(`f0-${forkEvents - 1}`).eventId;
    figures[`v${version}: auth chain of one event, size`] = (await computeAuthChain([lastEvent], room.source)).size;
    figures[`v${version}: auth chain of one event, ms (median)`] = await timeRuns(() => computeAuthChain([lastEvent], room.source));
    const stateIds = [...resolved.values()];
    figures[`v${version}: auth chain of the state, size`] = (await computeAuthChain(stateIds, room.source)).size;
    figures[`v${version}: auth chain of the state, ms (median)`] = await timeRuns(() => computeAuthChain(stateIds, room.source));
  }
  return figures;
}
