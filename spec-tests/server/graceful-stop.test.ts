import { expect } from 'chai';
import { request } from 'node:http';
import { HttpListener } from '../../src/api/http-listener.ts';
import { createLogger } from '../../src/util/logger.ts';

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
});
