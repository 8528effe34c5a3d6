/** matrix-js-sdk clients pointed at test servers, over HTTPS when the server uses the test CA. */
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { logger as sdkGlobalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { fetch as undiciFetch } from 'undici';
import type { TestHomeserver } from './homeserver.ts';
import { testAgent } from './requests.ts';

/** The SDK logs every request at debug level; tests keep only its warnings and errors. */
const quietLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (...args) => console.warn('[matrix-js-sdk]', ...args),
  error: (...args) => console.error('[matrix-js-sdk]', ...args),
  getChild: () => quietLogger,
};

// Some SDK code paths log through its global logger rather than the client's; keep its errors only.
(sdkGlobalLogger as unknown as { setLevel(level: string, persist?: boolean): void }).setLevel('error', false);

export async function createTestClient(server: TestHomeserver, options: { userId?: string; accessToken?: string } = {}): Promise<MatrixClient> {
  const dispatcher = server.baseUrl.startsWith('https:') ? await testAgent() : undefined;
  const fetchFn = (input: unknown, init?: object) => undiciFetch(input as string, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]);
  const client = createClient({ baseUrl: server.baseUrl, fetchFn: fetchFn as unknown as typeof fetch, logger: quietLogger, ...options });
  // The SDK arms a timer for each request's local timeout and never clears it, which would hold the
  // test process open for up to 110 s after the clients stop; the tests have timeouts of their own.
  const http = client.http as unknown as { requestOtherUrl: (method: unknown, url: unknown, body?: unknown, opts?: object) => Promise<unknown> };
  const send = http.requestOtherUrl.bind(http);
  http.requestOtherUrl = (method, url, body, opts) => send(method, url, body, { ...opts, localTimeoutMs: undefined });
  return client;
}
