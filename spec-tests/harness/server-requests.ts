/**
 * Server-to-server requests in spec tests: a requester (the KeyRequester shape the services use)
 * that sends each request to the test server registered under the destination's name and records
 * it, and X-Matrix signing of raw requests (server-server-api "Request Authentication").
 */
import type { JsonObject } from '../../src/core/canonical-json.ts';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import type { SigningKey } from '../../src/core/crypto/signing-key.ts';
import type { KeyRequester } from '../../src/services/federation/remote-server-keys.ts';
import { rawRequest } from './requests.ts';

export type FederationRequest = Parameters<KeyRequester['request']>[0];

export class TestFederationRequester implements KeyRequester {
  readonly requests: FederationRequest[] = [];
  /** The server this requester speaks for: set it to sign requests asked to be signed. */
  origin: { serverName: string; key: SigningKey } | undefined;

  /** `directory`: server name → base URL; a name missing from it is unreachable. */
  constructor(readonly directory: Map<string, string> = new Map()) {}

  async request<T>(request: FederationRequest): Promise<{ status: number; json: T }> {
    this.requests.push(request);
    const baseUrl = this.directory.get(request.destination);
    if (!baseUrl) throw new Error(`${request.destination} is unreachable`);
    const headers: Record<string, string> = {};
    if (request.signed && this.origin) {
      const { serverName, key } = this.origin;
      headers.authorization = xMatrixAuthorization({ method: request.method, uri: request.path, origin: serverName, destination: request.destination, content: request.body }, key);
    }
    const response = await rawRequest<T>(baseUrl, request.path, { method: request.method, body: request.body, headers });
    if (response.status < 200 || response.status >= 300) throw new Error(`${request.destination} answered ${response.status}`);
    return { status: response.status, json: response.json };
  }

  /** The recorded requests to `destination`, as `METHOD path`. */
  sentTo(destination: string): string[] {
    return this.requests.filter((r) => r.destination === destination).map((r) => `${r.method} ${r.path}`);
  }
}

export interface SignedRequestFields {
  method: string;
  uri: string;
  origin: string;
  destination: string;
  content?: JsonObject;
}

/** The `X-Matrix` Authorization header of a request signed by `key` (the spec's example format). */
export function xMatrixAuthorization(fields: SignedRequestFields, key: SigningKey, options: { withDestination?: boolean } = {}): string {
  const { method, uri, origin, destination, content } = fields;
  const signed = signJson({ method, uri, origin, destination, ...(content === undefined ? {} : { content }) }, origin, key);
  const sig = signed.signatures[origin]![key.keyId]!;
  const destinationParam = options.withDestination === false ? '' : `destination="${destination}",`;
  return `X-Matrix origin="${origin}",${destinationParam}key="${key.keyId}",sig="${sig}"`;
}
