/**
 * `fanout`: one sender, many long-polling listeners in one room. Each listener syncs incrementally with
 * a long timeout; the sender sends numbered messages at a fixed interval (not waiting for answers).
 * Delivery latency runs from the moment a send was issued to the moment a listener's /sync returned
 * it; a message some listener never received within the grace period is a missing delivery.
 *
 * The scenario runs twice in the same room: a first round on code paths the server has not run yet
 * (V8 still compiling them, on the cores the load shares), reported as `fanout (first round)`, then
 * the measured round, as `send` measures after a warm-up.
 */
import { setMaxListeners } from 'node:events';
import { percentile, round1, type BenchClient, type BenchUser } from './bench-client.ts';
import type { BenchServer } from './server.ts';

export interface FanoutOptions {
  messages: number;
  intervalMs: number;
}

// A timeline limit above the message count: a missing delivery then means a lost wake-up, not a gap.
const filter = { room: { timeline: { limit: 200 } } };
const graceMs = 5_000;

export async function fanoutScenario(server: BenchServer, client: BenchClient, sender: BenchUser, listeners: BenchUser[], options: FanoutOptions): Promise<Record<string, number>> {
  const roomId = await client.createRoom(sender);
  for (const listener of listeners) await client.join(listener, roomId);
  const first = await fanoutRound(server, client, roomId, sender, listeners, options);
  const measured = await fanoutRound(server, client, roomId, sender, listeners, options);
  return {
    ...measured,
    'fanout (first round): delivery p50, ms': first['fanout: delivery p50, ms']!,
    'fanout (first round): delivery p99, ms': first['fanout: delivery p99, ms']!,
    'fanout (first round): missing deliveries': first['fanout: missing deliveries']!,
  };
}

async function fanoutRound(server: BenchServer, client: BenchClient, roomId: string, sender: BenchUser, listeners: BenchUser[], options: FanoutOptions): Promise<Record<string, number>> {  const sentAt: number[] = [];
  const received = listeners.map(() => new Map<number, number>());
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  let listenerErrors = 0;

  const listen = async (index: number, since: string) => {
    while (!stop.signal.aborted) {
      let answer;
      try {
        answer = await client.sync(listeners[index]!, { since, timeoutMs: 30_000, filter, signal: stop.signal });
      } catch (error) {
        if (!stop.signal.aborted) listenerErrors++;
        if (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const now = performance.now();
      since = answer.json.next_batch;
      for (const event of answer.json.rooms?.join?.[roomId]?.timeline?.events ?? []) {
        const seq = event.content?.seq;
        if (typeof seq === 'number' && !received[index]!.has(seq)) received[index]!.set(seq, now);
      }
    }
  };
  const tokens = await Promise.all(listeners.map(async (listener) => (await client.sync(listener, { filter })).json.next_batch as string));
  const listening = Promise.all(tokens.map((token, i) => listen(i, token)));
  // Let every listener reach its long poll before the first message.
  await new Promise((resolve) => setTimeout(resolve, 500));

  let sendErrors = 0;
  const sends: Promise<unknown>[] = [];
  const acked: number[] = [];
  const cpu = process.cpuUsage();
  const serverCpu = server.cpuMs();
  const serverMainCpu = server.cpuMs('main');
  const start = performance.now();
  for (let seq = 0; seq < options.messages; seq++) {
    const due = start + seq * options.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt[seq] = performance.now();
    sends.push(
      client.send(sender, roomId, { msgtype: 'm.text', body: `fanout ${seq}`, seq }).then((answer) => {
        acked.push(performance.now() - sentAt[seq]!);
        if (answer.status !== 200) sendErrors++;
      }),
    );
  }
  await Promise.all(sends);
  const sendingMs = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  const serverCpuMs = server.cpuMs() - serverCpu;
  const serverMainCpuMs = server.cpuMs('main') - serverMainCpu;
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline && received.some((map) => map.size < options.messages)) await new Promise((resolve) => setTimeout(resolve, 20));
  stop.abort();
  await listening;

  const latencies: number[] = [];
  let missing = 0;
  for (const map of received) {
    for (let seq = 0; seq < options.messages; seq++) {
      const at = map.get(seq);
      if (at === undefined) missing++;
      else latencies.push(at - sentAt[seq]!);
    }
  }
  return {
    'fanout: delivery p50, ms': round1(percentile(latencies, 50)),
    'fanout: delivery p99, ms': round1(percentile(latencies, 99)),
    'fanout: missing deliveries': missing,
    'fanout: send or sync errors': sendErrors + listenerErrors,
    'fanout: send acknowledged p50, ms': round1(percentile(acked, 50)),
    // The listeners' side: when it is busy, delivery latency is partly the load generator's.
    'fanout: server CPU per delivery, ms': Math.round((serverCpuMs / Math.max(1, latencies.length)) * 1000) / 1000,
    'fanout: server main thread busy while sending, %': Math.round((serverMainCpuMs / sendingMs) * 100),
    'fanout: load generator CPU while sending, %': Math.round(((user + system) / 1000 / sendingMs) * 100),
  };
}
