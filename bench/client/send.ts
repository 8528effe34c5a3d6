/**
 * `send`: sustained message sending. 20 users in 10 rooms (two per room), a fixed number of requests
 * in flight, each worker sending as one user into that user's room as soon as its previous send was
 * answered. Only sends started and answered inside the measured window count (after a warm-up).
 */
import { percentile, round1, type BenchClient, type BenchUser } from './bench-client.ts';
import type { BenchServer } from './server.ts';

export interface SendOptions {
  durationMs: number;
  warmupMs: number;
  inFlight: number;
}

export async function sendScenario(server: BenchServer, client: BenchClient, users: BenchUser[], options: SendOptions): Promise<Record<string, number>> {
  const rooms: string[] = [];
  for (let i = 0; i < users.length; i += 2) {
    const roomId = await client.createRoom(users[i]!);
    await client.join(users[i + 1]!, roomId);
    rooms.push(roomId);
  }
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const measureTo = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let cpuFrom = 0;
  let cpuTo = 0;
  let mainFrom = 0;
  let mainTo = 0;
  let loadFrom = process.cpuUsage();
  let load = { user: 0, system: 0 };
  setTimeout(() => ((cpuFrom = server.cpuMs()), (mainFrom = server.cpuMs('main')), (loadFrom = process.cpuUsage())), options.warmupMs);
  setTimeout(() => ((cpuTo = server.cpuMs()), (mainTo = server.cpuMs('main')), (load = process.cpuUsage(loadFrom))), options.warmupMs + options.durationMs);
  const worker = async (index: number) => {
    const userIndex = index % users.length;
    const user = users[userIndex]!;
    const roomId = rooms[Math.floor(userIndex / 2)]!;
    let n = 0;
    while (performance.now() < measureTo) {
      const sentAt = performance.now();
      const answer = await client.send(user, roomId, { msgtype: 'm.text', body: `load ${index}/${++n}` });
      const answeredAt = performance.now();
      if (answer.status !== 200) errors++;
      else if (sentAt >= measureFrom && answeredAt <= measureTo) latencies.push(answeredAt - sentAt);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, (_, i) => worker(i)));
  return {
    'send: events/s': Math.round(latencies.length / (options.durationMs / 1000)),
    'send: latency p50, ms': round1(percentile(latencies, 50)),
    'send: latency p99, ms': round1(percentile(latencies, 99)),
    'send: errors': errors,
    // What a send costs the server, whatever else shares the machine's cores.
    'send: server CPU per event, ms': Math.round(((cpuTo - cpuFrom) / latencies.length) * 1000) / 1000,
    'send: server main thread busy, %': Math.round(((mainTo - mainFrom) / options.durationMs) * 100),
    'send: load generator CPU, %': Math.round(((load.user + load.system) / 1000 / options.durationMs) * 100),
  };
}
