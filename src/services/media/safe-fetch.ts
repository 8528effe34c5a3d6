/**
 * Outbound HTTP to URLs that users choose (pages to preview, push gateways), which must not reach into
 * our own network. As Synapse does: every address a name resolves to is checked against an IP deny list
 * (with its allow list of exceptions) and a name with any denied address is refused; the connection then
 * goes to the checked address itself, with the name kept as Host and TLS server name, so a second DNS
 * answer cannot rebind it. This runs for each new connection, so for every redirect hop too.
 *
 * SafeFetcher adds what a fetch of someone else's page needs: http and https only, redirects followed by
 * hand (each hop checked against the URL patterns, at most a few), one deadline for the whole fetch, and a
 * body refused past its size limit while it streams.
 */
import { isIP } from 'node:net';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { isNoRecordError, systemDns, type DnsResolver } from '../../federation-client/dns-resolver.ts';
import { IpAddressFilter } from '../../federation-client/ip-ranges.ts';
import { discardBody } from '../../federation-client/read-body.ts';

export interface IpCheckedAgentOptions {
  ipRangeDenyList: readonly string[];
  ipRangeAllowList: readonly string[];
  /** The deny list's configuration key, named when an address is refused. */
  denyListName: string;
  dns?: DnsResolver;
  /** Per address tried; default 10 s. */
  connectTimeoutMs?: number;
}

/** A host with an address the deny list refuses; nothing was sent to it. */
export class DeniedAddressError extends Error {
  override name = 'DeniedAddressError';
}

/** An undici Agent whose every connection goes to an address the IP lists allow (see above). */
export function ipCheckedAgent(options: IpCheckedAgentOptions): Agent {
  const filter = new IpAddressFilter({ denyList: options.ipRangeDenyList, allowList: options.ipRangeAllowList });
  const dns = options.dns ?? systemDns;
  const allowedAddresses = async (host: string): Promise<string[]> => {
    const addresses = isIP(host) !== 0 ? [host] : (await dns.lookup(host)).map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
    const denied = addresses.filter((address) => !filter.isAllowed(address));
    if (denied.length > 0) throw new DeniedAddressError(`${host} resolves to ${denied.join(', ')}, refused by ${options.denyListName}`);
    return addresses;
  };
  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 });
  return new Agent({
    // undici passes the URL's host (brackets removed); TLS still verifies the certificate for it (SNI from `host`).
    connect: (connectOptions, callback) => {
      allowedAddresses(connectOptions.hostname).then(
        (addresses) => connectFirst(addresses, (address, done) => connect({ ...connectOptions, hostname: address }, done), callback),
        (error: Error) => callback(error, null),
      );
    },
  });
}

type Connect = (address: string, done: buildConnector.Callback) => void;

/** Tries each address in turn until one connects. */
function connectFirst(addresses: readonly string[], connect: Connect, callback: buildConnector.Callback): void {
  const [address, ...rest] = addresses;
  connect(address!, (...result) => {
    if (result[0] !== null && rest.length > 0) connectFirst(rest, connect, callback);
    else callback(...result);
  });
}

export type SafeFetchFailure = 'unsupported_url' | 'url_blocked' | 'ip_blocked' | 'resolution' | 'network' | 'redirects' | 'status' | 'too_large' | 'timeout';

export class SafeFetchError extends Error {
  /** For 'status': the status the server answered. */
  readonly status: number | undefined;

  constructor(
    readonly reason: SafeFetchFailure,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SafeFetchError';
    this.status = options.status;
  }
}

export interface SafeFetcherOptions extends IpCheckedAgentOptions {
  /** Whether a URL (the first, and each one redirected to) must not be fetched. */
  isUrlBlocked?: (url: URL) => boolean;
  /** Default 5. */
  maxRedirects?: number;
  /** For the whole fetch: connecting, redirects, headers and body; default 10 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** A successful (2xx) answer whose body is yet to be read, once, or discarded. */
export interface FetchedResponse {
  /** The URL answered, after redirects. */
  url: URL;
  headers: Dispatcher.ResponseData['headers'];
  contentType: string | undefined;
  /** The body's chunks; fails with SafeFetchError 'too_large' past the limit or 'timeout' past the deadline. */
  chunks(): AsyncGenerator<Buffer>;
  bytes(): Promise<Buffer>;
  discard(): void;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export class SafeFetcher {
  private readonly agent: Agent;
  private readonly maxRedirects: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: SafeFetcherOptions) {
    this.agent = ipCheckedAgent(options);
    this.maxRedirects = options.maxRedirects ?? 5;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** GETs `url`, following redirects; throws SafeFetchError for anything but a 2xx within `maxBytes`. */
  async get(url: URL, maxBytes: number): Promise<FetchedResponse> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let current = url;
    for (let redirects = 0; ; redirects++) {
      this.check(current);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(current, { method: 'GET', headers: this.options.headers, dispatcher: this.agent, signal });
      } catch (error) {
        throw failureOf(error, signal, current);
      }
      const { statusCode: status, headers, body } = response;
      const location = headers.location;
      if (redirectStatuses.has(status) && typeof location === 'string') {
        discardBody(body);
        if (redirects >= this.maxRedirects) throw new SafeFetchError('redirects', `More than ${this.maxRedirects} redirects`);
        current = resolveLocation(location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        discardBody(body);
        throw new SafeFetchError('status', `Got error ${status}`, { status });
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        discardBody(body);
        throw tooLarge(maxBytes);
      }
      return fetchedResponse(current, response, maxBytes, signal);
    }
  }

  close(): void {
    this.agent.close().catch(() => {});
  }

  private check(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SafeFetchError('unsupported_url', `Only http and https URLs can be fetched, not ${url.protocol}`);
    if (this.options.isUrlBlocked?.(url)) throw new SafeFetchError('url_blocked', `${url.href} is blocked by a URL pattern`);
  }
}

function fetchedResponse(url: URL, response: Dispatcher.ResponseData, maxBytes: number, signal: AbortSignal): FetchedResponse {
  const { headers, body } = response;
  async function* chunks(): AsyncGenerator<Buffer> {
    let received = 0;
    try {
      for await (const chunk of body) {
        received += (chunk as Buffer).length;
        if (received > maxBytes) throw tooLarge(maxBytes);
        yield chunk as Buffer;
      }
    } catch (error) {
      throw failureOf(error, signal, url);
    } finally {
      discardBody(body);
    }
  }
  const contentType = headers['content-type'];
  return {
    url,
    headers,
    contentType: typeof contentType === 'string' ? contentType : undefined,
    chunks,
    bytes: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks()) parts.push(chunk);
      return Buffer.concat(parts);
    },
    discard: () => discardBody(body),
  };
}

function resolveLocation(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    throw new SafeFetchError('unsupported_url', `Redirected to an invalid URL ${JSON.stringify(location)}`);
  }
}

function tooLarge(maxBytes: number): SafeFetchError {
  return new SafeFetchError('too_large', `Requested file is too large > ${maxBytes} bytes`);
}

function failureOf(error: unknown, signal: AbortSignal, url: URL): SafeFetchError {
  if (error instanceof SafeFetchError) return error;
  if (signal.aborted) return new SafeFetchError('timeout', `${url.host} did not answer in time`, { cause: error });
  if (error instanceof DeniedAddressError) return new SafeFetchError('ip_blocked', error.message, { cause: error });
  if (isNoRecordError(error)) return new SafeFetchError('resolution', `Cannot resolve ${url.hostname}`, { cause: error });
  return new SafeFetchError('network', `Cannot fetch ${url.host}: ${(error as Error).message}`, { cause: error });
}
