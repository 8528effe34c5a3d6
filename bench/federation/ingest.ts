/**
 * `ingest`: server B's users join a room on server A over federation, then send messages on B as fast
 * as B takes them (several users and requests in flight); B's federation sender delivers them to A in
 * transactions of at most 50 PDUs (services/federation/sender/destination-queue.ts). A watcher on A
 * counts them as they arrive, with a long-polling /sync: the rate from the first arrival to the last
 * is the rate A accepts PDUs at. Both servers and the load generator share the machine's cores, so
 * the rate after B has finished sending (A nearly alone on the CPU) is reported too.
 */
import { round1, type BenchClient, type BenchUser } from '../client/bench-client.ts';
import type { BenchServer } from '../client/server.ts';
import type { Figures } from '../run.ts';

export interface IngestOptions {
  messages: number;
  inFlight: number;
}

interface Arrival {
  at: number;
  /** Messages counted on A so far, this batch included. */
  count: number;
}

const stallMs = 60_000;

export async function ingestScenario(
  servers: { a: BenchServer; b: BenchServer },
  clients: { a: BenchClient; b: BenchClient },
  watcher: BenchUser,
  senders: BenchUser[],
  options: IngestOptions,
): Promise<Figures> {
  const { a, b } = servers;
  const roomId = await clients.a.createRoom(watcher);
  const joinStarted = performance.now();
  for (const sender of senders) await clients.b.join(sender, roomId, [a.serverName]);
  const joinMs = (performance.now() - joinStarted) / senders.length;
  // The first join goes through make_join/send_join; B is then in the room and the others are B's own
  // joins, which reach A in B's transactions.
  const deadline = performance.now() + 30_000;
  for (;;) {
    const joined = await clients.a.ok('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`, { user: watcher });
    const missing = senders.filter((sender) => !(sender.userId in joined.json.joined));
    if (missing.length === 0) break;
    if (performance.now() > deadline) throw new Error(`A does not list ${missing.map((s) => s.userId).join(', ')} as joined 30 s after their joins`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  // The watcher's position before the first message; then it counts what arrives after it.
  const filter = {
    room: { rooms: [roomId], timeline: { limit: 10_000 }, state: { types: [] }, ephemeral: { not_types: ['*'] }, account_data: { not_types: ['*'] } },
    presence: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
  };
  let since = (await clients.a.sync(watcher, { filter, timeoutMs: 0 })).json.next_batch as string;
  const seen = new Set<string>();
  const arrivals: Arrival[] = [];
  let limitedResponses = 0;
  const counting = (async () => {
    let lastProgress = performance.now();
    while (seen.size < options.messages) {
      const { json } = await clients.a.sync(watcher, { since, filter, timeoutMs: 10_000 });
      const at = performance.now();
      since = json.next_batch;
      const room = json.rooms?.join?.[roomId];
      if (room?.timeline?.limited) limitedResponses++;
      const before = seen.size;
      for (const event of room?.timeline?.events ?? []) if (event.type === 'm.room.message' && event.sender !== watcher.userId) seen.add(event.event_id);
      if (seen.size > before) {
        arrivals.push({ at, count: seen.size });
        lastProgress = at;
      } else if (at - lastProgress > stallMs) {
        throw new Error(`A received ${seen.size} of ${options.messages} messages, then nothing for ${stallMs / 1000} s`);
      }
    }
  })();
  counting.catch(() => undefined); // awaited below, after the sends

  const cpuFrom = { a: a.cpuMs(), b: b.cpuMs() };
  const sendStarted = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.messages; i = next++) {
      const answer = await clients.b.send(senders[i % senders.length]!, roomId, { msgtype: 'm.text', body: `ingest ${i}` });
      if (answer.status !== 200) throw new Error(`sending on B answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  const sendEnded = performance.now();
  await counting;
  const cpuTo = { a: a.cpuMs(), b: b.cpuMs() };

  const first = arrivals[0]!;
  const last = arrivals.at(-1)!;
  // Messages of the first batch arrived at (or before) its time: the rate counts those after it.
  const acceptedPerS = ((last.count - first.count) / (last.at - first.at)) * 1000;
  const lastBeforeEnd = arrivals.filter((arrival) => arrival.at <= sendEnded).at(-1) ?? first;
  const tail = last.count - lastBeforeEnd.count;
  return {
    'ingest: messages': options.messages,
    'ingest: join on B, ms per user': round1(joinMs),
    'ingest: sent on B, events/s': Math.round((options.messages / (sendEnded - sendStarted)) * 1000),
    'ingest: PDUs accepted/s on A': Math.round(acceptedPerS),
    'ingest: first to last arrival on A, s': round1((last.at - first.at) / 1000),
    // While B still sends, the two servers share the cores; after, A mostly has them.
    'ingest: accepted/s on A after B finished sending': tail >= 500 ? Math.round((tail / (last.at - lastBeforeEnd.at)) * 1000) : 'n/a (< 500 after)',
    'ingest: last arrival after last send, ms': Math.round(last.at - sendEnded),
    'ingest: A CPU per PDU, ms': Math.round(((cpuTo.a - cpuFrom.a) / options.messages) * 1000) / 1000,
    'ingest: B CPU per message, ms': Math.round(((cpuTo.b - cpuFrom.b) / options.messages) * 1000) / 1000,
    'ingest: limited /sync responses on A': limitedResponses,
  };
}
