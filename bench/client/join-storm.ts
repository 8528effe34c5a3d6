/**
 * `join_storm`: many users join one public room, one after another. A join should not get slower as
 * the room grows: the last joins are compared with the first (medians, robust to a stray pause).
 */
import { percentile, round1, type BenchClient, type BenchUser } from './bench-client.ts';

export async function joinStormScenario(client: BenchClient, creator: BenchUser, joiners: BenchUser[]): Promise<Record<string, number>> {
  const roomId = await client.createRoom(creator, { publish: true });
  const latencies: number[] = [];
  for (const joiner of joiners) {
    const started = performance.now();
    await client.join(joiner, roomId);
    latencies.push(performance.now() - started);
  }
  const first = percentile(latencies.slice(0, 20), 50);
  const last = percentile(latencies.slice(-20), 50);
  return {
    'join_storm: joins': joiners.length,
    'join_storm: first 20 median, ms': round1(first),
    'join_storm: last 20 median, ms': round1(last),
    'join_storm: last/first ratio': Math.round((last / first) * 100) / 100,
  };
}
