/**
 * `ingest`: server B's users join a room on server A over federation and send messages on B; B's
 * federation sender delivers them to A in transactions of at most 50 PDUs, one in flight
 * (services/federation/sender/destination-queue.ts). A watcher on A counts them as they arrive, with a
 * long-polling /sync. Two phases:
 *   live     B's users send as fast as B takes them while A ingests: A's rate is bounded by B's, and
 *            both servers and the load generator share the machine's cores; A's CPU per PDU says
 *            how much of a core keeping up costs.
 *   backlog  A is down while B's users send; when A is back (its first transaction to B tells B so),
 *            B catches it up from its outbox, 50 PDUs a transaction: the rate from the first arrival
 *            to the last is the rate A accepts PDUs at (the target figure).
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
  const watch = new Watcher(clients.a, watcher, roomId);
  const send = (phase: string) => sendMessages(clients.b, senders, roomId, options, phase);

  // Live: B sends while A ingests.
  await watch.start();
  const counting = watch.count(options.messages);
  const cpuFrom = { a: a.cpuMs(), b: b.cpuMs() };
  const sendStarted = performance.now();
  await send('live');
  const sendEnded = performance.now();
  const live = await counting;
  const cpuTo = { a: a.cpuMs(), b: b.cpuMs() };

  // Backlog: A is down while B's users send; then B catches A up.
  await watch.start();
  await a.restart(() => send('backlog'));
  const backlogCpuFrom = a.cpuMs();
  const caughtUp = watch.count(options.messages);
  // A's first transaction to B (the watcher's message) tells B that A is back.
  await clients.a.send(watcher, roomId, { msgtype: 'm.text', body: 'back' });
  const backlog = await caughtUp;
  const backlogCpu = a.cpuMs() - backlogCpuFrom;

  const rate = (arrivals: Arrival[]) => {
    const first = arrivals[0]!;
    const last = arrivals.at(-1)!;
    // Messages of the first batch arrived at (or before) its time: the rate counts those after it.
    return { perS: Math.round(((last.count - first.count) / (last.at - first.at)) * 1000), seconds: round1((last.at - first.at) / 1000) };
  };
  const perPdu = (cpuMs: number) => Math.round((cpuMs / options.messages) * 1000) / 1000;
  return {
    'ingest: messages per phase': options.messages,
    'ingest: join on B, ms per user': round1(joinMs),
    'ingest (live): sent on B, events/s': Math.round((options.messages / (sendEnded - sendStarted)) * 1000),
    'ingest (live): accepted/s on A': rate(live.arrivals).perS,
    'ingest (live): last arrival after last send, ms': Math.round(live.arrivals.at(-1)!.at - sendEnded),
    'ingest (live): A CPU per PDU, ms': perPdu(cpuTo.a - cpuFrom.a),
    'ingest (live): B CPU per message, ms': perPdu(cpuTo.b - cpuFrom.b),
    'ingest: PDUs accepted/s on A': rate(backlog.arrivals).perS,
    'ingest (backlog): first to last arrival on A, s': rate(backlog.arrivals).seconds,
    'ingest (backlog): A CPU per PDU, ms': perPdu(backlogCpu),
    'ingest: limited /sync responses on A': live.limited + backlog.limited,
  };
}

/** B's users send `messages` messages on B, `inFlight` requests at a time. */
async function sendMessages(client: BenchClient, senders: BenchUser[], roomId: string, options: IngestOptions, phase: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.messages; i = next++) {
      const answer = await client.send(senders[i % senders.length]!, roomId, { msgtype: 'm.text', body: `${phase} ${i}` });
      if (answer.status !== 200) throw new Error(`sending on B answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
}

/** The watcher on A: counts other users' messages in the room as its long-polling /sync returns them. */
class Watcher {
  private since = '';
  private readonly filter;

  constructor(
    private readonly client: BenchClient,
    private readonly user: BenchUser,
    private readonly roomId: string,
  ) {
    this.filter = {
      room: { rooms: [roomId], timeline: { limit: 10_000 }, state: { types: [] }, ephemeral: { not_types: ['*'] }, account_data: { not_types: ['*'] } },
      presence: { not_types: ['*'] },
      account_data: { not_types: ['*'] },
    };
  }

  /** Counting starts after what A has now. */
  async start(): Promise<void> {
    this.since = (await this.client.sync(this.user, { filter: this.filter, timeoutMs: 0 })).json.next_batch as string;
  }

  async count(messages: number): Promise<{ arrivals: Arrival[]; limited: number }> {
    const seen = new Set<string>();
    const arrivals: Arrival[] = [];
    let limited = 0;
    let lastProgress = performance.now();
    while (seen.size < messages) {
      let json;
      try {
        ({ json } = await this.client.sync(this.user, { since: this.since, filter: this.filter, timeoutMs: 10_000 }));
      } catch {
        // A is restarting.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const at = performance.now();
      this.since = json.next_batch;
      const room = json.rooms?.join?.[this.roomId];
      if (room?.timeline?.limited) limited++;
      const before = seen.size;
      for (const event of room?.timeline?.events ?? []) if (event.type === 'm.room.message' && event.sender !== this.user.userId) seen.add(event.event_id);
      if (seen.size > before) {
        arrivals.push({ at, count: seen.size });
        lastProgress = at;
      } else if (at - lastProgress > stallMs) {
        throw new Error(`A received ${seen.size} of ${messages} messages, then nothing for ${stallMs / 1000} s`);
      }
    }
    return { arrivals, limited };
  }
}
