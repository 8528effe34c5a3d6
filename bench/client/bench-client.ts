/**
 * The load generator's Matrix client: raw Client-Server API requests over one keep-alive undici Agent
 * (connections are reused, as a real client's are), with the few calls the scenarios need.
 */
import { Agent, request } from 'undici';

export interface BenchUser {
  userId: string;
  accessToken: string;
}

export interface Answer {
  status: number;
  json: any;
  bytes: number;
}

export class BenchClient {
  private readonly agent: Agent;
  private txnCounter = 0;

  /** `ca`: the certificate authority (PEM) to trust when `baseUrl` is HTTPS. */
  constructor(
    readonly baseUrl: string,
    options: { ca?: string } = {},
  ) {
    this.agent = new Agent({ connections: 256, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 120_000, bodyTimeout: 120_000, connect: { ca: options.ca } });
  }

  async request(method: 'GET' | 'POST' | 'PUT', path: string, options: { body?: unknown; user?: BenchUser; signal?: AbortSignal } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.user) headers.authorization = `Bearer ${options.user.accessToken}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await request(`${this.baseUrl}${path}`, { method, headers, body, dispatcher: this.agent, signal: options.signal });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? JSON.parse(text) : undefined, bytes: Buffer.byteLength(text) };
  }

  /** Like request, but a non-200 answer is an error naming the call. */
  async ok(method: 'GET' | 'POST' | 'PUT', path: string, options: { body?: unknown; user?: BenchUser; signal?: AbortSignal } = {}): Promise<Answer> {
    const answer = await this.request(method, path, options);
    if (answer.status !== 200) throw new Error(`${method} ${path.split('?')[0]} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    return answer;
  }

  async register(localpart: string): Promise<BenchUser> {
    const { json } = await this.ok('POST', '/_matrix/client/v3/register', { body: { username: localpart, password: `bench-${localpart}-pw`, auth: { type: 'm.login.dummy' } } });
    return { userId: json.user_id, accessToken: json.access_token };
  }

  /** Registers `count` users named `${prefix}${i}`, `concurrency` at a time (password hashing is the cost). */
  async registerMany(prefix: string, count: number, concurrency = 4): Promise<BenchUser[]> {
    const users: BenchUser[] = new Array(count);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) users[i] = await this.register(`${prefix}${i}`);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return users;
  }

  /** A room anyone may join (preset public_chat), published in the directory when `publish`. */
  async createRoom(user: BenchUser, options: { publish?: boolean } = {}): Promise<string> {
    const body = { preset: 'public_chat', ...(options.publish ? { visibility: 'public' } : {}) };
    return (await this.ok('POST', '/_matrix/client/v3/createRoom', { user, body })).json.room_id;
  }

  /** Joins the room, through the servers `via` when it is on another server (federation). */
  async join(user: BenchUser, roomId: string, via: readonly string[] = []): Promise<void> {
    const query = via.length > 0 ? `?${via.map((server) => `via=${encodeURIComponent(server)}`).join('&')}` : '';
    await this.ok('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}${query}`, { user, body: {} });
  }

  /** Sends an m.room.message with a fresh transaction ID; returns the answer (status 200 on success). */
  send(user: BenchUser, roomId: string, content: Record<string, unknown>): Promise<Answer> {
    const txnId = `bench-${process.pid}-${++this.txnCounter}`;
    return this.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { user, body: content });
  }

  sync(user: BenchUser, options: { since?: string; timeoutMs?: number; filter?: unknown; signal?: AbortSignal } = {}): Promise<Answer> {
    const query = new URLSearchParams();
    if (options.since) query.set('since', options.since);
    if (options.timeoutMs !== undefined) query.set('timeout', String(options.timeoutMs));
    if (options.filter !== undefined) query.set('filter', JSON.stringify(options.filter));
    return this.ok('GET', `/_matrix/client/v3/sync?${query}`, { user, signal: options.signal });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The `p`th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
