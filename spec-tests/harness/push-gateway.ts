/**
 * A push gateway for spec tests (push-gateway-api): an HTTP server on a loopback port that records every
 * /_matrix/push/v1/notify request and answers as the test scripts it per pushkey (200 with no rejected
 * pushkeys by default), with a waiter instead of sleeps.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayAnswer {
  status: number;
  body?: unknown;
}

export interface ReceivedPush {
  /** The request's `notification`, and the answer it got. */
  notification: any;
  status: number;
}

export class TestPushGateway {
  /** Every request received, in order, with the status it was answered. */
  readonly received: ReceivedPush[] = [];
  private readonly scripted = new Map<string, GatewayAnswer[]>();
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestPushGateway> {
    let gateway: TestPushGateway | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => gateway!.answer(request.method, request.url, Buffer.concat(chunks).toString('utf8'), (status, body) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    gateway = new TestPushGateway(server, `http://127.0.0.1:${port}/_matrix/push/v1/notify`);
    return gateway;
  }

  /** The next requests for `pushkey` are answered with these, in order; after them, 200 `{"rejected": []}` again. */
  answerWith(pushkey: string, ...answers: GatewayAnswer[]): void {
    this.scripted.set(pushkey, [...(this.scripted.get(pushkey) ?? []), ...answers]);
  }

  /** Forgets the answers scripted for `pushkey` and not given yet. */
  clearAnswers(pushkey: string): void {
    this.scripted.delete(pushkey);
  }

  /** The requests received for this pushkey, in order. */
  pushesFor(pushkey: string): ReceivedPush[] {
    return this.received.filter((push) => push.notification.devices?.[0]?.pushkey === pushkey);
  }

  /** Waits until `count` requests for `pushkey` were received; returns them. */
  async waitForPushes(pushkey: string, count: number): Promise<ReceivedPush[]> {
    await this.waitFor(() => this.pushesFor(pushkey).length >= count);
    return this.pushesFor(pushkey);
  }

  /** Waits until `predicate` holds for what was received; fails after `timeoutMs`. */
  async waitFor(predicate: (received: readonly ReceivedPush[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the push gateway did not receive what was expected; received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(method: string | undefined, path: string | undefined, text: string, reply: (status: number, body: unknown) => void): void {
    if (method !== 'POST' || path !== '/_matrix/push/v1/notify') {
      reply(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
      return;
    }
    const notification = (JSON.parse(text) as { notification: any }).notification;
    const answer = this.scripted.get(notification.devices?.[0]?.pushkey)?.shift() ?? { status: 200, body: { rejected: [] } };
    this.received.push({ notification, status: answer.status });
    reply(answer.status, answer.body ?? {});
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
