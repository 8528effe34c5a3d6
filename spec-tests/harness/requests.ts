/**
 * Raw HTTP for spec tests, over HTTP or HTTPS (trusting the test CA): what a client or another
 * server would send, with the status, headers and parsed JSON body of the answer.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { testCertificateAuthority } from './test-certificates.ts';

export interface RawResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: T;
}

export interface RawRequestOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  accessToken?: string;
}

let agent: Promise<Agent> | undefined;

/** A dispatcher that trusts the test CA, for HTTPS servers started by the harness. */
export function testAgent(): Promise<Agent> {
  agent ??= testCertificateAuthority().then((ca) => new Agent({ connect: { ca: ca.cert } }));
  return agent;
}

export async function rawRequest<T = any>(baseUrl: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  const response = await undiciRequest(new URL(path, baseUrl), {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    dispatcher: baseUrl.startsWith('https:') ? await testAgent() : undefined,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json: json as T };
}

/** A Client-Server API (v3) request made as `user` to `server` (tests with several servers). */
export function clientCall(server: { baseUrl: string }, user: { accessToken: string }, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<RawResponse> {
  return rawRequest(server.baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: user.accessToken });
}

/** Client-Server API (v3) requests made as a user, to the server a `useTestHomeserver` hook provides. */
export function clientApi(server: () => { baseUrl: string }) {
  return (user: { accessToken: string }, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<RawResponse> =>
    rawRequest(server().baseUrl, `/_matrix/client/v3${path}`, { method, body, accessToken: user.accessToken });
}
