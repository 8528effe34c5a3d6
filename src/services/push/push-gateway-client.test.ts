import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultIpRangeBlacklist } from '../../config/schema.ts';
import { testDns } from '../../testing/test-dns.ts';
import { PushGatewayClient, PushGatewayError } from './push-gateway-client.ts';

type Handler = (request: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string } | undefined;

describe('PushGatewayClient (push-gateway-api "POST /_matrix/push/v1/notify")', () => {
  let server: Server;
  let port: number;
  let handler: Handler;
  let requests: string[];
  const clients: PushGatewayClient[] = [];
  const client = (options: { allow?: string[]; requestTimeoutMs?: number } = {}) => {
    const made = new PushGatewayClient({
      ipRangeDenyList: defaultIpRangeBlacklist,
      ipRangeAllowList: options.allow ?? ['127.0.0.1'],
      dns: testDns({ hosts: { 'gateway.test': ['127.0.0.1'], 'mixed.test': ['127.0.0.1', '10.0.0.1'] } }),
      requestTimeoutMs: options.requestTimeoutMs,
    });
    clients.push(made);
    return made;
  };
  const url = (host = '127.0.0.1') => `http://${host}:${port}/_matrix/push/v1/notify`;
  const failure = async (promise: Promise<unknown>): Promise<PushGatewayError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error, 'the push should have failed').to.be.instanceOf(PushGatewayError);
    return error as PushGatewayError;
  };

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push(`${request.method} ${request.url} ${body}`);
        const answer = handler(request, body);
        if (answer) response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    requests = [];
    handler = () => ({ status: 200, body: '{"rejected":[]}' });
  });
  after(async () => {
    for (const made of clients) made.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the JSON body and returns the rejected pushkeys', async () => {
    handler = () => ({ status: 200, body: '{"rejected":["stale", 7]}' });
    expect(await client().notify(url('gateway.test'), { notification: { devices: [] } })).to.deep.equal(['stale']);
    expect(requests).to.deep.equal(['POST /_matrix/push/v1/notify {"notification":{"devices":[]}}']);
  });

  it('"SHOULD retry": 5xx, 429 and unreachable gateways are retryable; other 4xx are not', async () => {
    for (const [status, retryable] of [[500, true], [503, true], [429, true], [400, false], [404, false]] as const) {
      handler = () => ({ status });
      expect((await failure(client().notify(url(), {}))).retryable, `status ${status}`).to.equal(retryable);
    }
    expect((await failure(client().notify(`http://127.0.0.1:1/_matrix/push/v1/notify`, {}))).retryable).to.equal(true);
  });

  it('does not follow redirects', async () => {
    handler = () => ({ status: 307, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    const error = await failure(client().notify(url(), {}));
    expect(error.retryable).to.equal(false);
    expect(requests).to.have.length(1);
  });

  it('ip_range_blacklist: refuses a gateway on a denied address, or a name with any denied address, without connecting', async () => {
    const denied = await failure(client({ allow: [] }).notify(url(), {}));
    expect(denied.retryable).to.equal(false);
    expect(denied.message).to.match(/ip_range_blacklist/);
    expect((await failure(client().notify(url('mixed.test'), {}))).message).to.match(/10\.0\.0\.1/);
    expect(requests).to.deep.equal([]);
  });

  it('gives up on a gateway that does not answer in time, retryably', async () => {
    handler = () => undefined;
    const error = await failure(client({ requestTimeoutMs: 200 }).notify(url(), {}));
    expect(error.retryable).to.equal(true);
  });
});
