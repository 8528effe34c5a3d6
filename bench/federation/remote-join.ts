/**
 * `remote_join`: a user of server B joins a large room of server A (server-server-api "Joining Rooms":
 * make_join, then send_join whose answer carries the room's whole state and auth chain, each event
 * checked by B), then sends a message. The figure is the time from the join request until B
 * acknowledges that first send: how long a user waits before they can talk.
 *
 * The room is built on A through its client API as people would build it: members registered (Argon2
 * password hashing is most of that cost), a first few joining and talking up to the event count, then
 * the rest joining. Messages come before most joins because a message costs A more the more members
 * the room has; send_join carries only the state and its auth chain, which the order does not change.
 * How long the building took is reported too, since it bounds the room sizes this benchmark can reach.
 */
import { round1, type BenchClient, type BenchUser } from '../client/bench-client.ts';
import type { BenchServer } from '../client/server.ts';
import type { Figures } from '../run.ts';

export interface RemoteJoinOptions {
  /** Members on A, the room's creator included. */
  members: number;
  /** Events in the room before B's user joins, the creation events included. */
  events: number;
}

export async function remoteJoinScenario(servers: { a: BenchServer; b: BenchServer }, clients: { a: BenchClient; b: BenchClient }, options: RemoteJoinOptions): Promise<Figures> {
  const { a, b } = servers;
  const built = await buildRoom(clients.a, options);
  const [joiner] = await clients.b.registerMany('remote-joiner', 1);
  const room = encodeURIComponent(built.roomId);

  const cpuFrom = { a: a.cpuMs(), b: b.cpuMs() };
  const started = performance.now();
  await clients.b.join(joiner!, built.roomId, [a.serverName]);
  const joined = performance.now();
  const sent = await clients.b.send(joiner!, built.roomId, { msgtype: 'm.text', body: 'hello from B' });
  const acknowledged = performance.now();
  const cpuTo = { a: a.cpuMs(), b: b.cpuMs() };
  if (sent.status !== 200) throw new Error(`the first send on B answered ${sent.status}: ${JSON.stringify(sent.json)}`);

  // The join is real: B knows every member, and A receives the message.
  const members = Object.keys((await clients.b.ok('GET', `/_matrix/client/v3/rooms/${room}/joined_members`, { user: joiner! })).json.joined).length;
  if (members !== options.members + 1) throw new Error(`B lists ${members} joined members after the join, not ${options.members + 1}`);
  const deadline = performance.now() + 60_000;
  let arrivedOnA: number | undefined;
  while (arrivedOnA === undefined) {
    const { json } = await clients.a.ok('GET', `/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=5`, { user: built.creator });
    if (json.chunk.some((event: { event_id: string }) => event.event_id === sent.json.event_id)) arrivedOnA = performance.now();
    else if (performance.now() > deadline) throw new Error('the first message from B did not reach A within 60 s');
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }

  return {
    'remote_join: members': options.members,
    'remote_join: events': options.events,
    'remote_join: building: registrations/s on A': Math.round(options.members / built.registerS),
    'remote_join: building: total, s': round1(built.registerS + built.joinS + built.messageS),
    'remote_join: join answered on B, ms': Math.round(joined - started),
    'remote_join: join to first send acknowledged, ms': Math.round(acknowledged - started),
    'remote_join: first message on A after join request, ms': Math.round(arrivedOnA - started),
    'remote_join: CPU during join and send, A, ms': cpuTo.a - cpuFrom.a,
    'remote_join: CPU during join and send, B, ms': cpuTo.b - cpuFrom.b,
  };
}

interface BuiltRoom {
  roomId: string;
  creator: BenchUser;
  registerS: number;
  joinS: number;
  messageS: number;
}

async function buildRoom(client: BenchClient, options: RemoteJoinOptions): Promise<BuiltRoom> {
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const seconds = (now - mark) / 1000;
    mark = now;
    return seconds;
  };
  const users = await client.registerMany('member', options.members, 8);
  const registerS = lap();
  console.log(`  (remote_join: ${options.members} users registered on A in ${round1(registerS)} s)`);
  const [creator, ...others] = users as [BenchUser, ...BenchUser[]];
  const roomId = await client.createRoom(creator);
  const room = encodeURIComponent(roomId);
  const creation = (await client.ok('GET', `/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=100`, { user: creator })).json.chunk.length as number;
  const messages = options.events - creation - others.length;
  if (messages < 0) throw new Error(`${options.events} events cannot hold ${options.members} members`);
  const talkers = Math.min(others.length, 50);
  let joinS = 0;
  await inParallel(talkers, 8, (i) => client.join(others[i]!, roomId));
  joinS += lap();
  await inParallel(messages, 16, async (i) => {
    const answer = await client.send(users[i % (talkers + 1)]!, roomId, { msgtype: 'm.text', body: `history ${i}` });
    if (answer.status !== 200) throw new Error(`sending on A answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  });
  const messageS = lap();
  console.log(`  (remote_join: ${messages} messages on A in ${round1(messageS)} s)`);
  await inParallel(others.length - talkers, 8, (i) => client.join(others[talkers + i]!, roomId));
  joinS += lap();
  console.log(`  (remote_join: ${others.length} joins on A in ${round1(joinS)} s)`);
  return { roomId, creator, registerS, joinS, messageS };
}

/** Runs `work(0 … count-1)`, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await work(i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
