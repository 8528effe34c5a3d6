/**
 * POSTs notifications to push gateways (push-gateway-api "POST /_matrix/push/v1/notify"). A gateway URL
 * is chosen by a client, so it must not reach into our own network: like Synapse, the gateway's
 * addresses are checked against ip_range_blacklist / ip_range_whitelist (a name with any denied address
 * is refused), and the connection goes to the checked address itself, so a second lookup cannot rebind
 * it (media/safe-fetch.ts, shared with URL previews). Redirects are not followed (the answer is the
 * gateway's, not somewhere else's); every request has a time limit and a bounded answer.
 */
import { request, type Agent } from 'undici';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { DnsResolver } from '../../federation-client/dns-resolver.ts';
import { readBodyWithLimit } from '../../federation-client/read-body.ts';
import { DeniedAddressError, ipCheckedAgent } from '../media/safe-fetch.ts';

export interface PushGatewayClientOptions {
  ipRangeDenyList: readonly string[];
  ipRangeAllowList: readonly string[];
  dns?: DnsResolver;
  /** For connecting, and again for the answer; default 10 s and 30 s. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** A failed push. `retryable`: the gateway may take it later (network trouble, 5xx, 408, 429). */
export class PushGatewayError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PushGatewayError';
  }
}

/** The gateway's answer is small JSON: more is not a gateway talking. */
const maxAnswerBytes = 64 * 1024;

export class PushGatewayClient {
  private readonly agent: Agent;
  private readonly requestTimeoutMs: number;

  constructor(options: PushGatewayClientOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.agent = ipCheckedAgent({ ...options, denyListName: 'ip_range_blacklist' });
  }

  /** Sends one notification; resolves to the pushkeys the gateway rejected, or throws PushGatewayError. */
  async notify(url: string, body: JsonObject, signal?: AbortSignal): Promise<string[]> {
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        dispatcher: this.agent,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
        signal,
      });
    } catch (error) {
      throw new PushGatewayError(`cannot reach the push gateway: ${(error as Error).message}`, !(error instanceof DeniedAddressError), { cause: error });
    }
    let text: string | undefined;
    try {
      text = await readBodyWithLimit(response.body, response.headers, maxAnswerBytes);
    } catch (error) {
      throw new PushGatewayError(`the push gateway's answer broke off: ${(error as Error).message}`, true, { cause: error });
    }
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      throw new PushGatewayError(`the push gateway answered ${status}`, status >= 500 || status === 408 || status === 429);
    }
    return rejectedPushkeys(text);
  }

  close(): void {
    this.agent.close().catch(() => {});
  }
}

/** "rejected": "A list of all pushkeys given in the notification request that are not valid"; anything unreadable rejects none. */
function rejectedPushkeys(text: string | undefined): string[] {
  try {
    const rejected = (JSON.parse(text ?? '') as { rejected?: unknown }).rejected;
    return Array.isArray(rejected) ? rejected.filter((key): key is string => typeof key === 'string') : [];
  } catch {
    return [];
  }
}
