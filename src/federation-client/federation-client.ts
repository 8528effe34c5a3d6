/**
 * Outbound federation requests (server-server-api "API standards", "Resolving server names", "Request
 * Authentication"): resolve the destination, connect over verified TLS to an address the IP lists allow,
 * sign with X-Matrix, send canonical JSON, and read a size-limited JSON answer (or, for media, hand the
 * answer's body to a reader: see media-response.ts). Every failure, local or remote, surfaces as one
 * FederationRequestError whose `reason` says what happened.
 *
 * Limits: 60 s per request by default (discovery, connection, answer and body together); answers up to
 * 100 MiB, Synapse's limit for federation responses, as `/state` of a large room is that big; per-destination
 * backoff as in destination-backoff.ts.
 */
import type { Dispatcher } from 'undici';
import { canonicalJson, isJsonObject, type JsonObject } from '../core/canonical-json.ts';
import type { SigningKey } from '../core/crypto/signing-key.ts';
import { signRequest } from '../core/federation/x-matrix.ts';
import { isServerName } from '../core/ids/server-name.ts';
import { DestinationBackoff } from './destination-backoff.ts';
import { systemDns, type DnsResolver } from './dns-resolver.ts';
import { FederationRequestError, type FederationFailure } from './federation-request-error.ts';
import { ConnectionError, HttpsConnections } from './https-connections.ts';
import { IpAddressFilter } from './ip-ranges.ts';
import { discardBody, readBodyWithLimit } from './read-body.ts';
import { resolveServerName, ServerDiscoveryError, type ResolvedServer } from './server-discovery.ts';
import { WellKnownResolver } from './well-known.ts';

export { FederationRequestError, type FederationFailure } from './federation-request-error.ts';

export const defaultRequestTimeoutMs = 60_000;
export const defaultMaxResponseBytes = 100 * 1024 * 1024;

export type FederationClientOptions = {
  /** Our server name: the X-Matrix origin. */
  serverName: string;
  signingKey: SigningKey;
  /** federation_verify_certificates */
  verifyCertificates: boolean;
  /** federation_custom_ca_list, as PEM texts: trusted besides Node's default roots. */
  caCertificates: string[];
  /** ip_range_blacklist / ip_range_whitelist, as CIDR strings. */
  ipRangeDenyList: string[];
  ipRangeAllowList: string[];
  dns?: DnsResolver;
  clock?: () => number;
  requestTimeoutMs?: number;
  /** federation_domain_whitelist: when set, other destinations are refused without a request. */
  domainAllowList?: string[];
  maxResponseBytes?: number;
  userAgent?: string;
  /** The port `.well-known/matrix/server` is fetched from: 443 (the default) outside tests. */
  wellKnownPort?: number;
  /** Random source in [0, 1) for backoff jitter and SRV weights; default Math.random. */
  random?: () => number;
};

export type FederationRequest = {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** The destination server name, as signed (before any delegation). */
  destination: string;
  /** Path and query string, already percent-encoded, e.g. `/_matrix/federation/v1/version`. */
  path: string;
  body?: JsonObject;
  /** Default true: send an X-Matrix Authorization header. */
  signed?: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
};

export type FederationResponse<T> = { status: number; json: T };

/** A 2xx answer whose body is not read yet (media downloads): see requestStream. */
export type StreamedAnswer = { status: number; headers: Dispatcher.ResponseData['headers']; body: Dispatcher.ResponseData['body'] };

type Fail = (reason: FederationFailure, message: string, details?: ConstructorParameters<typeof FederationRequestError>[3]) => FederationRequestError;

export class FederationClient {
  private readonly connections: HttpsConnections;
  private readonly wellKnown: WellKnownResolver;
  private readonly backoff: DestinationBackoff;
  private readonly dns: DnsResolver;
  private readonly domainAllowList: Set<string> | undefined;

  constructor(private readonly options: FederationClientOptions) {
    const clock = options.clock ?? Date.now;
    this.dns = options.dns ?? systemDns;
    this.connections = new HttpsConnections({
      dns: this.dns,
      addressFilter: new IpAddressFilter({ denyList: options.ipRangeDenyList, allowList: options.ipRangeAllowList }),
      verifyCertificates: options.verifyCertificates,
      caCertificates: options.caCertificates,
    });
    this.wellKnown = new WellKnownResolver({ connections: this.connections, clock, port: options.wellKnownPort });
    this.backoff = new DestinationBackoff(clock, options.random);
    this.domainAllowList = options.domainAllowList && new Set(options.domainAllowList);
  }

  /**
   * Sends `request` and returns a 2xx answer's JSON object, typed as `T` but unchecked: callers validate it.
   * Throws FederationRequestError for everything else (see its `reason`), and M_BAD_JSON (MatrixError)
   * for a body that canonical JSON cannot encode, which no remote could verify.
   */
  request<T = JsonObject>(request: FederationRequest): Promise<FederationResponse<T>> {
    return this.send(request, async (response, fail) => {
      const json = await this.readJson(request, response, fail);
      if (!isJsonObject(json)) throw fail('invalid_response', 'the answer is not a JSON object', { status: response.statusCode });
      return { status: response.statusCode, json: json as T };
    });
  }

  /**
   * Sends `request` and hands a 2xx answer with its body unread to `read`, for answers that are not JSON
   * (media). The request's time limit covers `read`; failures are reported as by request().
   */
  requestStream<T>(request: FederationRequest, read: (answer: StreamedAnswer) => Promise<T>): Promise<T> {
    return this.send(request, async (response) => {
      try {
        return await read({ status: response.statusCode, headers: response.headers, body: response.body });
      } catch (error) {
        // A body that failed to arrive is the network's failure; any other is the reader's own, passed on as it is.
        if (response.body.errored) throw error;
        discardBody(response.body);
        throw new ReaderFailure(error);
      }
    });
  }

  private async send<T>(request: FederationRequest, readSuccess: (response: Dispatcher.ResponseData, fail: Fail) => Promise<T>): Promise<T> {
    const { destination } = request;
    const fail: Fail = (reason, message, details) => new FederationRequestError(destination, reason, message, details);
    if (!isServerName(destination)) throw fail('resolution', 'not a valid server name');
    if (!request.path.startsWith('/')) throw new Error(`A federation path starts with "/": ${request.path}`);
    if (this.domainAllowList && !this.domainAllowList.has(destination)) {
      throw fail('destination_not_allowed', 'not in federation_domain_whitelist');
    }
    const retryAfterMs = this.backoff.remainingMs(destination);
    if (retryAfterMs > 0) throw fail('backing_off', `earlier requests failed; retrying in ${retryAfterMs} ms`, { retryAfterMs });
    const outgoing = this.prepare(request);

    const abort = new AbortController();
    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs ?? defaultRequestTimeoutMs;
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const response = await this.exchange(request, outgoing, abort.signal);
      // Any answer below 500 shows the destination is up.
      if (response.statusCode < 500) this.backoff.reset(destination);
      else this.backoff.recordFailure(destination);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const body = await this.readJson(request, response, fail);
        const field = (name: string) => (isJsonObject(body) && typeof body[name] === 'string' ? (body[name] as string) : undefined);
        throw fail('http', `HTTP ${response.statusCode}${field('errcode') ? ` ${field('errcode')}` : ''}`, {
          status: response.statusCode, errcode: field('errcode'), error: field('error'), body,
        });
      }
      return await readSuccess(response, fail);
    } catch (error) {
      if (error instanceof FederationRequestError) throw error;
      if (error instanceof ReaderFailure && !abort.signal.aborted) throw error.cause;
      const failure = abort.signal.aborted
        ? fail('timeout', `no complete answer within ${timeoutMs} ms`, { cause: error })
        : this.classify(error, fail);
      if (failure.reason !== 'ip_denied') this.backoff.recordFailure(destination);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Where requests to `destination` go now (the discovery the client uses, for diagnostics and tests). */
  resolve(destination: string): Promise<ResolvedServer> {
    return resolveServerName(destination, {
      dns: this.dns,
      wellKnown: (hostname) => this.wellKnown.lookup(hostname),
      random: this.options.random,
    });
  }

  isBackingOff(destination: string): boolean {
    return this.backoff.isBackingOff(destination);
  }

  resetBackoff(destination: string): void {
    this.backoff.reset(destination);
  }

  /** Closes pooled connections once their requests finish. */
  close(): Promise<void> {
    return this.connections.close();
  }

  /** The headers and body that do not depend on where the request goes; throws M_BAD_JSON for a body that is not canonical JSON. */
  private prepare(request: FederationRequest): { headers: Record<string, string>; body: string | undefined } {
    // "All POST and PUT endpoints require the requesting server to supply a request body containing a
    // (potentially empty) JSON object."
    const content = request.body ?? (request.method === 'PUT' || request.method === 'POST' ? {} : undefined);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.options.userAgent ?? 'Lattice' };
    if (content !== undefined) headers['content-type'] = 'application/json';
    if (request.signed !== false) {
      headers.authorization = signRequest(
        { method: request.method, uri: request.path, origin: this.options.serverName, destination: request.destination, content },
        this.options.signingKey,
      );
    }
    // Canonical JSON parses back to exactly the content that was signed.
    return { headers, body: content === undefined ? undefined : canonicalJson(content) };
  }

  /** Resolves, connects and sends; the answer's body is left unread. */
  private async exchange(request: FederationRequest, outgoing: { headers: Record<string, string>; body: string | undefined }, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const target = await untilAborted(this.resolve(request.destination), signal);
    return this.connections.pool(target, target.hostHeader).request({
      method: request.method,
      path: request.path,
      headers: { ...outgoing.headers, host: target.hostHeader },
      body: outgoing.body,
      signal,
    });
  }

  /** The answer's body as JSON within the size limit; `undefined` when it is not JSON. */
  private async readJson(request: FederationRequest, response: Dispatcher.ResponseData, fail: Fail): Promise<unknown> {
    const maxBytes = request.maxResponseBytes ?? this.options.maxResponseBytes ?? defaultMaxResponseBytes;
    const text = await readBodyWithLimit(response.body, response.headers, maxBytes);
    if (text === undefined) throw fail('response_too_large', `the answer exceeds ${maxBytes} bytes`, { status: response.statusCode });
    return parseJson(text);
  }

  private classify(error: unknown, fail: (reason: FederationFailure, message: string, details?: { cause?: unknown }) => FederationRequestError) {
    if (error instanceof ConnectionError) return fail(error.reason, error.message, { cause: error });
    if (error instanceof ServerDiscoveryError) return fail('resolution', error.message, { cause: error });
    const code = (error as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return fail('timeout', (error as Error).message, { cause: error });
    }
    return fail('network', (error as Error).message ?? String(error), { cause: error });
  }
}

/** Carries an error of a requestStream reader past the classification of network failures. */
class ReaderFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('the reader of a streamed answer failed');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (discovery cannot be cancelled, only abandoned). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
