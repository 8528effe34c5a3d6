import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultIpRangeBlacklist } from '../../config/schema.ts';
import { testDns } from '../../testing/test-dns.ts';
import { SafeFetcher, SafeFetchError, type SafeFetcherOptions, type SafeFetchFailure } from './safe-fetch.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('SafeFetcher (the URL previews\' IP-checked fetches)', () => {
  let server: Server;
  let port: number;
  let handler: Handler;
  let requests: string[];
  const fetchers: SafeFetcher[] = [];
  const fetcher = (options: Partial<SafeFetcherOptions> = {}) => {
    const made = new SafeFetcher({
      ipRangeDenyList: defaultIpRangeBlacklist,
      ipRangeAllowList: ['127.0.0.1'],
      denyListName: 'url_preview_ip_range_blacklist',
      dns: testDns({ hosts: { 'page.test': ['127.0.0.1'], 'mixed.test': ['127.0.0.1', '10.0.0.1'] } }),
      ...options,
    });
    fetchers.push(made);
    return made;
  };
  const url = (path = '/', host = '127.0.0.1') => new URL(`http://${host}:${port}${path}`);
  const failure = async (promise: Promise<unknown>, reason: SafeFetchFailure): Promise<SafeFetchError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error, 'the fetch should have failed').to.be.instanceOf(SafeFetchError);
    expect((error as SafeFetchError).reason, (error as Error).message).to.equal(reason);
    return error as SafeFetchError;
  };

  before(async () => {
    server = createServer((request, response) => {
      requests.push(`${request.headers.host} ${request.url}`);
      handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    requests = [];
    handler = (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
  });
  after(async () => {
    for (const made of fetchers) made.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to the address it checked, with the name as Host, and sends the configured headers', async () => {
    let userAgent: string | undefined;
    handler = (request, response) => {
      userAgent = request.headers['user-agent'];
      response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    };
    const response = await fetcher({ headers: { 'user-agent': 'Lattice (bot)' } }).get(url('/page', 'page.test'), 100);
    expect((await response.bytes()).toString()).to.equal('hello');
    expect(response.contentType).to.equal('text/plain');
    expect(requests).to.deep.equal([`page.test:${port} /page`]);
    expect(userAgent).to.equal('Lattice (bot)');
  });

  it('refuses a name with any denied address, an unknown name, and a denied IP literal, sending nothing', async () => {
    expect((await failure(fetcher().get(url('/', 'mixed.test'), 100), 'ip_blocked')).message).to.match(/10\.0\.0\.1.*url_preview_ip_range_blacklist/);
    await failure(fetcher().get(url('/', 'nowhere.test'), 100), 'resolution');
    await failure(fetcher({ ipRangeAllowList: [] }).get(url(), 100), 'ip_blocked');
    expect(requests).to.deep.equal([]);
  });

  it('follows at most maxRedirects redirects, each one checked', async () => {
    handler = (request, response) => {
      const hop = Number(new URL(request.url!, 'http://x').searchParams.get('hop') ?? 0);
      if (request.url!.startsWith('/loop')) response.writeHead(302, { location: `/loop?hop=${hop + 1}` }).end();
      else if (request.url === '/to-file') response.writeHead(301, { location: 'file:///etc/passwd' }).end();
      else if (request.url === '/to-blocked') response.writeHead(307, { location: '/blocked' }).end();
      else if (request.url === '/to-denied') response.writeHead(308, { location: `http://10.0.0.1:${port}/` }).end();
      else response.writeHead(200).end('arrived');
    };
    await failure(fetcher({ maxRedirects: 3 }).get(url('/loop'), 100), 'redirects');
    expect(requests).to.have.length(4);
    await failure(fetcher().get(url('/to-file'), 100), 'unsupported_url');
    await failure(fetcher({ isUrlBlocked: (target) => target.pathname === '/blocked' }).get(url('/to-blocked'), 100), 'url_blocked');
    await failure(fetcher().get(url('/to-denied'), 100), 'ip_blocked');
    expect(requests).to.not.include(`127.0.0.1:${port} /blocked`);
  });

  it('answers other statuses as failures with the status', async () => {
    handler = (_request, response) => response.writeHead(503).end();
    expect((await failure(fetcher().get(url(), 100), 'status')).status).to.equal(503);
  });

  it('refuses a body past the limit, whether declared or streamed', async () => {
    handler = (_request, response) => response.writeHead(200, { 'content-length': '1000' }).end('z'.repeat(1000));
    await failure(fetcher().get(url(), 999), 'too_large');
    handler = (_request, response) => {
      response.writeHead(200);
      response.write('z'.repeat(600));
      setTimeout(() => response.end('z'.repeat(600)), 20);
    };
    const response = await fetcher().get(url(), 1000);
    await failure(response.bytes(), 'too_large');
  });

  it('gives up at the deadline, before the answer or in the middle of the body', async () => {
    handler = () => {};
    await failure(fetcher({ timeoutMs: 200 }).get(url(), 100), 'timeout');
    handler = (_request, response) => {
      response.writeHead(200);
      response.write('the start');
    };
    const response = await fetcher({ timeoutMs: 200 }).get(url(), 100);
    await failure(response.bytes(), 'timeout');
  });
});
