/**
 * Real HTTPS servers on 127.0.0.1 for tests of outbound network code: each serves certificates from the test
 * CA for its names (chosen by SNI; the first without SNI) or a given certificate, records what it received,
 * and answers with a handler the test may swap.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import selfsigned from 'selfsigned';
import { issueTestCertificate, type TestCertificate } from '../../spec-tests/harness/test-certificates.ts';

export type ReceivedRequest = {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The SNI the client sent; false when it sent none. */
  servername: string | false;
};

export type TestAnswer = { status?: number; headers?: Record<string, string>; body?: unknown; raw?: string; hang?: boolean };
export type TestHandler = (request: ReceivedRequest) => TestAnswer | Promise<TestAnswer>;

export type HttpsTestServer = {
  port: number;
  received: ReceivedRequest[];
  handler: TestHandler;
  close(): Promise<void>;
};

export async function startHttpsTestServer(names: string | string[], handler: TestHandler, certificate?: TestCertificate): Promise<HttpsTestServer> {
  const nameList = typeof names === 'string' ? [names] : names;
  const certificates = certificate ? [certificate] : await Promise.all(nameList.map((name) => issueTestCertificate(name)));
  const contexts = new Map(nameList.map((name, i) => [name, createSecureContext(certificates[i] ?? certificates[0]!)]));
  const state: HttpsTestServer = { port: 0, received: [], handler, close: async () => {} };
  const options = {
    ...certificates[0]!,
    SNICallback: (servername: string, callback: (error: Error | null, context?: SecureContext) => void) =>
      callback(null, contexts.get(servername) ?? contexts.get(nameList[0]!)),
  };
  const server = createServer(options, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        servername: (req.socket as TLSSocket).servername ?? false,
      };
      state.received.push(request);
      void Promise.resolve(state.handler(request)).then((answer) => {
        if (answer.hang) return;
        const text = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        res.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** A self-signed certificate for `name`: one no client trusts unless told to skip verification. */
export async function selfSignedCertificate(name: string): Promise<TestCertificate> {
  const result = await selfsigned.generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: result.cert, key: result.private };
}
