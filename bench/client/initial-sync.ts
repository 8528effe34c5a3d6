/**
 * `initial_sync`: a user in many rooms, each with a few members and some messages, logs in anew and
 * asks /sync without a token (no filter, as a fresh client does). Median time and response size.
 */
import { percentile, round1, type BenchClient, type BenchUser } from './bench-client.ts';

export interface InitialSyncOptions {
  rooms: number;
  messagesPerRoom: number;
  runs: number;
}

export async function initialSyncScenario(client: BenchClient, user: BenchUser, others: BenchUser[], options: InitialSyncOptions): Promise<Record<string, number>> {
  const rooms: string[] = [];
  for (let i = 0; i < options.rooms; i++) rooms.push(await client.createRoom(user));
  await Promise.all(others.map(async (other) => {
    for (const roomId of rooms) await client.join(other, roomId);
  }));
  // The rooms fill in parallel, each room's messages in order.
  const members = [user, ...others];
  await Promise.all(rooms.map(async (roomId) => {
    for (let m = 0; m < options.messagesPerRoom; m++) await client.send(members[m % members.length]!, roomId, { msgtype: 'm.text', body: `history ${m}` });
  }));
  const times: number[] = [];
  let bytes = 0;
  for (let run = 0; run < options.runs; run++) {
    const started = performance.now();
    const answer = await client.sync(user);
    times.push(performance.now() - started);
    bytes = answer.bytes;
    const joined = Object.keys(answer.json.rooms?.join ?? {}).length;
    if (joined !== options.rooms) throw new Error(`initial /sync listed ${joined} joined rooms, expected ${options.rooms}`);
  }
  return {
    'initial_sync: time median, ms': round1(percentile(times, 50)),
    'initial_sync: time max, ms': round1(Math.max(...times)),
    'initial_sync: response size, KiB': round1(bytes / 1024),
  };
}
