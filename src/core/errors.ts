/**
 * Matrix errors as one typed class (client-server-api "Standard error response").
 * Every layer throws MatrixError; the HTTP error middleware is the only place that renders it.
 */

/** The spec's errcodes, with the HTTP status each one usually travels with. */
const defaultStatus = {
  M_FORBIDDEN: 403,
  M_UNKNOWN_TOKEN: 401,
  M_MISSING_TOKEN: 401,
  M_USER_LOCKED: 401,
  M_USER_SUSPENDED: 403,
  M_BAD_JSON: 400,
  M_NOT_JSON: 400,
  M_NOT_FOUND: 404,
  M_LIMIT_EXCEEDED: 429,
  M_UNRECOGNIZED: 404,
  M_UNKNOWN: 500,
  M_UNAUTHORIZED: 401,
  M_USER_DEACTIVATED: 403,
  M_USER_IN_USE: 400,
  M_INVALID_USERNAME: 400,
  M_ROOM_IN_USE: 400,
  M_INVALID_ROOM_STATE: 400,
  M_THREEPID_IN_USE: 400,
  M_THREEPID_NOT_FOUND: 400,
  M_THREEPID_AUTH_FAILED: 401,
  M_THREEPID_DENIED: 403,
  M_SERVER_NOT_TRUSTED: 403,
  M_UNSUPPORTED_ROOM_VERSION: 400,
  M_INCOMPATIBLE_ROOM_VERSION: 400,
  M_BAD_STATE: 400,
  M_GUEST_ACCESS_FORBIDDEN: 403,
  M_CAPTCHA_NEEDED: 401,
  M_CAPTCHA_INVALID: 401,
  M_MISSING_PARAM: 400,
  M_INVALID_PARAM: 400,
  M_TOO_LARGE: 413,
  M_EXCLUSIVE: 400,
  M_RESOURCE_LIMIT_EXCEEDED: 403,
  M_CANNOT_LEAVE_SERVER_NOTICE_ROOM: 403,
  M_THREEPID_MEDIUM_NOT_SUPPORTED: 400,
  M_WEAK_PASSWORD: 400,
  M_WRONG_ROOM_KEYS_VERSION: 403,
  M_NOT_YET_UPLOADED: 504,
  M_CANNOT_OVERWRITE_MEDIA: 409,
  M_UNKNOWN_POS: 400,
  M_UNABLE_TO_AUTHORISE_JOIN: 400,
  M_UNABLE_TO_GRANT_JOIN: 502,
  M_DUPLICATE_ANNOTATION: 400,
  M_INVALID_SIGNATURE: 403,
  M_INVALID_STATE: 400,
  M_PROFILE_TOO_LARGE: 400,
  M_KEY_TOO_LARGE: 400,
  M_BAD_ALIAS: 400,
} as const satisfies Record<string, number>;

export type Errcode = keyof typeof defaultStatus;

export class MatrixError extends Error {
  readonly errcode: Errcode;
  readonly status: number;
  /** Extra top-level fields of the error body: UIA flows, retry_after_ms, soft_logout… */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(errcode: Errcode, message: string, options: { status?: number; extra?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'MatrixError';
    this.errcode = errcode;
    this.status = options.status ?? defaultStatus[errcode];
    this.extra = options.extra ?? {};
  }

  /** The JSON body the spec prescribes: `{errcode, error, ...extra}`. */
  toJSON(): Record<string, unknown> {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

export function isMatrixError(value: unknown): value is MatrixError {
  return value instanceof MatrixError;
}
