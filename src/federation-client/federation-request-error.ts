/**
 * Why an outbound federation request failed, as data: callers (the federation sender, key fetching, joins)
 * decide whether to retry, back off or map the failure for a client from `reason`, never from message text.
 * A remote error body is carried, not relayed: DESIGN.md "Remote errors are mapped before they reach a client".
 */
export type FederationFailure =
  /** The remote answered with a status outside 2xx (`status`, and `errcode`/`error` when its body had them). */
  | 'http'
  /** A 2xx answer whose body is not a JSON object. */
  | 'invalid_response'
  /** The answer exceeded the size limit. */
  | 'response_too_large'
  /** The server name is invalid or could not be resolved (DNS failure, no address). */
  | 'resolution'
  /** Every address tried was refused: in ip_range_blacklist and not in ip_range_whitelist. */
  | 'ip_denied'
  /** Refused without a request: not in federation_domain_whitelist. */
  | 'destination_not_allowed'
  /** Refused without a request: earlier failures put the destination in backoff (`retryAfterMs`). */
  | 'backing_off'
  /** TCP connection or socket failure. */
  | 'network'
  /** The TLS handshake failed, including an untrusted or mismatched certificate. */
  | 'tls'
  /** No complete answer within the request's time limit. */
  | 'timeout';

export class FederationRequestError extends Error {
  readonly destination: string;
  readonly reason: FederationFailure;
  /** The HTTP status of the remote's answer; undefined when there was none. */
  readonly status: number | undefined;
  /** The remote's `errcode` and `error`, when its error body carried them. */
  readonly errcode: string | undefined;
  readonly error: string | undefined;
  /** The remote's parsed error body, for fields such as `retry_after_ms`. */
  readonly body: unknown;
  /** For `backing_off`: how long until the destination will be tried again. */
  readonly retryAfterMs: number | undefined;

  constructor(
    destination: string,
    reason: FederationFailure,
    message: string,
    details: { status?: number; errcode?: string; error?: string; body?: unknown; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`Federation request to ${destination} failed (${reason}): ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FederationRequestError';
    this.destination = destination;
    this.reason = reason;
    this.status = details.status;
    this.errcode = details.errcode;
    this.error = details.error;
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
  }
}
