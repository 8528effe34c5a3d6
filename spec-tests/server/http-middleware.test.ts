/**
 * The middleware every endpoint runs behind, exercised over real HTTP with endpoints that take a
 * body or fail, since the endpoints of this stage of Lattice take no body.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { rawRequest } from '../harness/requests.ts';
import { MatrixError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/util/logger.ts';
import { createApp } from '../../src/api/app.ts';
import type { ApiDependencies } from '../../src/api/dependencies.ts';
import { defineEndpoint } from '../../src/api/endpoint.ts';

const echo = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/test/echo/:word',
  resources: ['client'],
  auth: 'none',
  body: z.object({ name: z.string(), count: z.number().int().optional() }),
  handle: ({ body, params }) => ({ ...body, word: params.word }),
});
const forbidden = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/test/forbidden',
  resources: ['client'],
  auth: 'none',
  handle: () => {
    throw new MatrixError('M_FORBIDDEN', 'Not for you', { extra: { retry_after_ms: 5 } });
  },
});
const broken = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/test/broken',
  resources: ['client'],
  auth: 'none',
  handle: () => {
    throw new Error('database password is hunter2');
  },
});
const federationOnly = defineEndpoint({ method: 'GET', path: '/_matrix/federation/v1/test', resources: ['federation'], auth: 'none', handle: () => ({}) });

describe('HTTP middleware (client-server-api "Standard error response", "Web Browser Clients")', function () {
  let server: Server;
  let baseUrl: string;
  const logLines: Record<string, unknown>[] = [];

  before(async function () {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    const deps = { maxJsonBodySize: 1024, metrics: new Registry() } as unknown as ApiDependencies;
    const app = createApp({
      resources: new Set(['client']),
      endpoints: [echo, forbidden, broken, federationOnly],
      deps,
      logger: createLogger({ level: 'info', format: 'json', destination }),
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('passes a valid JSON body and path parameters to the handler', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/hello', { body: { name: 'ana', count: 2 } });
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({ name: 'ana', count: 2, word: 'hello' });
  });

  it('answers malformed JSON with 400 M_NOT_JSON', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/x', { method: 'POST', body: '{"name": "ana",' });
    expect(response.status).to.equal(400);
    expect(response.json.errcode).to.equal('M_NOT_JSON');
  });

  it('answers JSON of the wrong shape with 400 M_BAD_JSON naming the field', async function () {
    const wrongType = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/x', { body: { name: 5 } });
    expect(wrongType.status).to.equal(400);
    expect(wrongType.json.errcode).to.equal('M_BAD_JSON');
    expect(wrongType.json.error).to.include('name');
    const notObject = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/x', { method: 'POST', body: '[1,2]' });
    expect(notObject.status).to.equal(400);
    expect(notObject.json.errcode).to.equal('M_BAD_JSON');
  });

  it('answers a body over the limit with 413 M_TOO_LARGE, by Content-Length or by streamed size', async function () {
    const big = JSON.stringify({ name: 'x'.repeat(2000) });
    const declared = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/x', { method: 'POST', body: big });
    expect(declared.status).to.equal(413);
    expect(declared.json.errcode).to.equal('M_TOO_LARGE');
    // Chunked: no Content-Length, so the limit must stop the stream itself.
    const chunked = await fetch(`${baseUrl}/_matrix/client/v3/test/echo/x`, {
      method: 'POST',
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).to.equal(413);
    expect(((await chunked.json()) as { errcode: string }).errcode).to.equal('M_TOO_LARGE');
  });

  it('renders a MatrixError with its status, errcode and extra fields', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/forbidden');
    expect(response.status).to.equal(403);
    expect(response.json).to.deep.equal({ errcode: 'M_FORBIDDEN', error: 'Not for you', retry_after_ms: 5 });
  });

  it('turns an unexpected exception into 500 M_UNKNOWN without internals, and logs it with the request id', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/broken');
    expect(response.status).to.equal(500);
    expect(response.json.errcode).to.equal('M_UNKNOWN');
    expect(response.text).not.to.include('hunter2');
    expect(response.text).not.to.include('at ');
    const requestId = /request ([0-9a-f-]{36})/.exec(response.json.error)?.[1];
    expect(requestId, 'error names the request id').to.be.a('string');
    const logged = logLines.find((line) => line.req === requestId && line.msg === 'unhandled error');
    expect(logged, 'the error is logged under the request id').to.not.equal(undefined);
    expect(JSON.stringify(logged)).to.include('hunter2');
  });

  it('answers an unknown path with 404 M_UNRECOGNIZED, and a path of a resource this listener does not serve likewise', async function () {
    for (const path of ['/_matrix/client/v3/nope', '/_matrix/federation/v1/test']) {
      const response = await rawRequest(baseUrl, path);
      expect(response.status, path).to.equal(404);
      expect(response.json.errcode).to.equal('M_UNRECOGNIZED');
    }
  });

  it('answers a known path with the wrong method with 405 M_UNRECOGNIZED', async function () {
    for (const method of ['GET', 'DELETE', 'PATCH'] as const) {
      const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/echo/x', { method });
      expect(response.status, method).to.equal(405);
      expect(response.json.errcode).to.equal('M_UNRECOGNIZED');
    }
  });

  it('answers OPTIONS with CORS headers without running the endpoint', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/broken', { method: 'OPTIONS' });
    expect(response.status).to.equal(204);
    expect(response.headers['access-control-allow-origin']).to.equal('*');
    expect(response.headers['access-control-allow-methods']).to.include('PUT');
    expect(response.headers['access-control-allow-headers']).to.include('Authorization');
  });

  it('puts CORS headers on errors too', async function () {
    const response = await rawRequest(baseUrl, '/_matrix/client/v3/test/forbidden');
    expect(response.headers['access-control-allow-origin']).to.equal('*');
  });

  it('logs one line per request with method, status, duration and the access token masked', async function () {
    await rawRequest(baseUrl, '/_matrix/client/v3/nope?access_token=secret_token&x=1');
    const line = logLines.find((l) => l.msg === 'request' && String(l.path).startsWith('/_matrix/client/v3/nope?'));
    expect(line).to.include({ method: 'GET', status: 404, path: '/_matrix/client/v3/nope?access_token=<redacted>&x=1' });
    expect(line?.ms).to.be.a('number');
    expect(JSON.stringify(logLines)).not.to.include('secret_token');
  });
});
