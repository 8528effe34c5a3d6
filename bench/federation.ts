/**
 * `npm run bench -- federation [--quick]`: two Lattice servers, each `lattice start` in a child process
 * on a fresh SQLite database (bench/client/server.ts), federating over HTTPS with their real federation
 * clients. They find each other without DNS: each is named `127.0.0.1:<port>` (an IP literal with a
 * port, server-server-api "Resolving server names" step 1) and trusts the throwaway test CA that issued
 * both certificates. The load generator runs here and shares the machine's cores with both servers.
 *   verify       this machine's Ed25519 verification rate on a signed message event, ours and raw
 *                libsodium (bench/core-signing.ts), measured first, to set the ingest rate beside it
 *   ingest       B's users send messages on B; A's rate of accepting them from B's transactions, live
 *                and as B's backlog for A after A was down (bench/federation/ingest.ts)
 *   remote_join  a user of B joins a big room of A: time until they can send
 * LATTICE_BENCH_SCENARIOS=ingest,remote_join runs only some scenarios; LATTICE_BENCH_KEEP=1 keeps the
 * servers' directories (configuration, database, log) afterwards.
 */
import { BenchClient } from './client/bench-client.ts';
import { BenchServer } from './client/server.ts';
import { verifyRates } from './core-signing.ts';
import { ingestScenario } from './federation/ingest.ts';
import { remoteJoinScenario } from './federation/remote-join.ts';
import type { AreaResult, BenchOptions, Figures, Target } from './run.ts';

const targets: Record<string, Target> = {
  'ingest: PDUs accepted/s on A': { op: '>=', value: 1500 },
  'remote_join: join to first send acknowledged, ms': { op: '<=', value: 5000 },
};

const only = process.env.LATTICE_BENCH_SCENARIOS?.split(',');
const selected = (scenario: string) => only === undefined || only.includes(scenario);

export async function federationBenchmark(options: BenchOptions): Promise<AreaResult> {
  const size = options.quick ? { messages: 1_000, members: 300, events: 1_200 } : { messages: 10_000, members: 5_000, events: 20_000 };
  const figures: Figures = {};
  // The room version the servers create rooms with (default_room_version).
  const verify = await verifyRates('12');
  Object.assign(figures, {
    'verify: event size, bytes': verify.eventBytes,
    'verify: signature checks/s (ours, v12 event)': verify.verifyPerS,
    'verify: signature checks/s (raw libsodium)': verify.rawVerifyPerS,
  });

  const keep = process.env.LATTICE_BENCH_KEEP === '1';
  const [a, b] = await Promise.all([BenchServer.start({ name: 'federation-a', federation: true }), BenchServer.start({ name: 'federation-b', federation: true })]);
  const clients = { a: new BenchClient(a.baseUrl, { ca: a.ca }), b: new BenchClient(b.baseUrl, { ca: b.ca }) };
  let failed = false;
  try {
    console.log(`  (A is ${a.serverName}, B is ${b.serverName})`);
    if (selected('ingest')) {
      const [watcher] = await clients.a.registerMany('watcher', 1);
      const senders = await clients.b.registerMany('sender', 10);
      const ingest = await ingestScenario({ a, b }, clients, watcher!, senders, { messages: size.messages, inFlight: 16 });
      Object.assign(figures, ingest);
      const accepted = ingest['ingest: PDUs accepted/s on A'];
      // How many of this machine's signature checks an accepted PDU costs the time of (each needs at least one).
      if (typeof accepted === 'number') figures['ingest: signature checks/s ÷ PDUs accepted/s'] = Math.round((verify.verifyPerS / accepted) * 10) / 10;
    }
    if (selected('remote_join')) Object.assign(figures, await remoteJoinScenario({ a, b }, clients, { members: size.members, events: size.events }));
    const memory = { a: a.memory(), b: b.memory() };
    Object.assign(figures, { 'memory: A peak RSS, MiB': memory.a.peakMiB, 'memory: B peak RSS, MiB': memory.b.peakMiB });
    return { figures, targets };
  } catch (error) {
    failed = true;
    console.error('federation benchmark failed');
    throw error;
  } finally {
    await Promise.all([clients.a.close(), clients.b.close()]);
    await Promise.all([a.stop(failed || keep), b.stop(failed || keep)]);
    if (failed || keep) console.error(`server directories kept: ${a.dir}, ${b.dir}`);
  }
}
