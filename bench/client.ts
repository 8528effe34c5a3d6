/**
 * `npm run bench -- client [--quick]`: the Client-Server API under load, against `lattice start` in a
 * child process on a fresh SQLite database (bench/client/server.ts); the load generator runs here and
 * shares the machine's cores with the server, as a co-located client would.
 *   send          sustained sends: throughput and latency
 *   fanout        one sender, 50 long-polling listeners: delivery latency, missing deliveries (a first
 *                 round on cold code is reported apart from the measured round)
 *   initial_sync  a user in 50 rooms: time and size of an initial /sync
 *   join_storm    200 users join one room one by one: do joins slow down as the room grows?
 *   memory        the server's resident memory idle before the run, at peak, right after the last
 *                 request, and at the end: once the run is over and the server has rested for 10 s
 *                 (what it holds then is what it keeps; right after the load, V8's heap still holds
 *                 the garbage of the run, which the server compacts away once it is quiet)
 * LATTICE_BENCH_SCENARIOS=send,fanout runs only some scenarios (while working on one of them);
 * LATTICE_BENCH_KEEP=1 keeps the server's directory (configuration, database, log) afterwards.
 */
import type { AreaResult, BenchOptions, Figures, Target } from './run.ts';
import { BenchClient } from './client/bench-client.ts';
import { fanoutScenario } from './client/fanout.ts';
import { initialSyncScenario } from './client/initial-sync.ts';
import { joinStormScenario } from './client/join-storm.ts';
import { sendScenario } from './client/send.ts';
import { BenchServer } from './client/server.ts';

const targets: Record<string, Target> = {
  'send: events/s': { op: '>=', value: 3000 },
  'send: latency p99, ms': { op: '<=', value: 50 },
  'fanout: delivery p99, ms': { op: '<=', value: 30 },
  'fanout: missing deliveries': { op: '<=', value: 0 },
  'fanout (first round): missing deliveries': { op: '<=', value: 0 },
  'initial_sync: time median, ms': { op: '<=', value: 100 },
  'join_storm: last/first ratio': { op: '<=', value: 1.5 },
  'memory: RSS at end (after 10 s at rest), MiB': { op: '<=', value: 150 },
};

const only = process.env.LATTICE_BENCH_SCENARIOS?.split(',');
const selected = (scenario: string) => only === undefined || only.includes(scenario);

export async function clientBenchmark(options: BenchOptions): Promise<AreaResult> {
  const size = options.quick
    ? { sendMs: 2_000, warmupMs: 500, fanoutMessages: 50, syncRooms: 10, syncRuns: 3, joiners: 60 }
    : { sendMs: 10_000, warmupMs: 1_000, fanoutMessages: 100, syncRooms: 50, syncRuns: 11, joiners: 200 };
  const server = await BenchServer.start();
  const client = new BenchClient(server.baseUrl);
  let failed = false;
  try {
    const rest = () => new Promise((resolve) => setTimeout(resolve, 10_000));
    await rest();
    const idle = server.memory();
    const figures: Figures = {};
    if (selected('send')) {
      const senders = await client.registerMany('send', 20);
      Object.assign(figures, await sendScenario(server, client, senders, { durationMs: size.sendMs, warmupMs: size.warmupMs, inFlight: 32 }));
    }
    if (selected('fanout')) {
      const [fanoutSender, ...listeners] = await client.registerMany('fanout', 51);
      Object.assign(figures, await fanoutScenario(server, client, fanoutSender!, listeners, { messages: size.fanoutMessages, intervalMs: 20 }));
    }
    if (selected('initial_sync')) {
      const [syncUser, ...syncMembers] = await client.registerMany('sync', 5);
      Object.assign(figures, await initialSyncScenario(client, syncUser!, syncMembers, { rooms: size.syncRooms, messagesPerRoom: 20, runs: size.syncRuns }));
    }
    if (selected('join_storm')) {
      const [creator, ...joiners] = await client.registerMany('join', size.joiners + 1);
      Object.assign(figures, await joinStormScenario(client, creator!, joiners));
    }
    const afterLoad = server.memory();
    await rest();
    const end = server.memory();
    Object.assign(figures, {
      'memory: idle RSS (after 10 s at rest), MiB': idle.rssMiB,
      'memory: peak RSS, MiB': end.peakMiB,
      'memory: RSS right after the last request, MiB': afterLoad.rssMiB,
      'memory: RSS at end (after 10 s at rest), MiB': end.rssMiB,
    });
    return { figures, targets };
  } catch (error) {
    failed = true;
    console.error('client benchmark failed');
    throw error;
  } finally {
    await client.close();
    await server.stop(failed || process.env.LATTICE_BENCH_KEEP === '1');
    if (failed || process.env.LATTICE_BENCH_KEEP === '1') console.error(`server directory kept: ${server.dir}`);
  }
}
