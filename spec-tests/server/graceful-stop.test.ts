import { expect } from 'chai';
import { request } from 'node:http';
import { HttpListener } from '../../src/api/http-listener.ts';
import { createLogger } from '../../src/util/logger.ts';
import { registerUser } from '../harness/accounts.ts';
import { startTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('graceful stop: in-flight requests finish, new connections are refused', function () {
  it('lets a slow request complete after close() began, then refuses connections', async function () {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const listener = await HttpListener.start(
      { port: 0, bindAddresses: ['127.0.0.1'] },
      (_req, res) => void released.then(() => res.end('done')),
      createLogger({ level: 'silent', format: 'json' }),
    );
    const port = listener.port;
    const inFlight = new Promise<string>((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = listener.close(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await new Promise<string>((resolve) => {
      request({ port, host: '127.0.0.1', path: '/' }, () => resolve('answered'))
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
        .end();
    });
    expect(refused).to.equal('ECONNREFUSED');
    release();
    expect(await inFlight).to.equal('done');
    await closing;
  });

  it('waits for a handler whose client went away, and a dropped /sync long poll ends its handler at once', async function () {
    const server = await startTestHomeserver({ serverName: 'stop.test', config: { enable_registration: true } });
    const alice = await registerUser(server, 'alice');
    const since = (await rawRequest(server.baseUrl, '/_matrix/client/v3/sync', { accessToken: alice.accessToken })).json.next_batch;
    const controller = new AbortController();
    const poll = fetch(`${server.baseUrl}/_matrix/client/v3/sync?since=${since}&timeout=20000`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
      signal: controller.signal,
    }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect(await poll).to.equal('aborted');
    const started = Date.now();
    await server.stop();
    // A long poll still running would hold the stop for the harness's whole grace period (1 s).
    expect(Date.now() - started).to.be.below(800);
  });
});
