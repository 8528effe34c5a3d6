/**
 * client-server-api "Token-authenticated registration": tokens an administrator hands out, each good
 * for a number of registrations (or any number) until an expiry time (or forever). They are managed
 * through Synapse's admin API (/_synapse/admin/v1/registration_tokens), so its tools work unchanged.
 *
 * A token passes the m.login.registration_token stage while it has uses left counting the pending ones
 * (held by live UIA sessions), and the stage holds one use for its session; the registration's
 * transaction then turns that use into a completed one, refusing if the token has no use left, so two
 * racing sessions cannot overspend a token even if both passed the stage.
 */
import { randomInt } from 'node:crypto';
import { MatrixError } from '../../core/errors.ts';
import type { RegistrationTokenChanges, RegistrationTokenRecord } from '../../storage/repositories/registration-tokens.ts';
import type { Storage } from '../../storage/storage.ts';
import { uiaSessionLifetimeMs } from './user-interactive-auth.ts';

export type RegistrationToken = RegistrationTokenRecord;

export interface NewRegistrationToken {
  /** The token itself; generated when absent. */
  token?: string;
  /** Length of a generated token (default 16). */
  length?: number;
  usesAllowed?: number | null;
  expiryTime?: number | null;
}

// The Opaque Identifier Grammar (appendices "Opaque Identifiers"), at most 64 characters.
const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';
const tokenPattern = /^[A-Za-z0-9._~-]{1,64}$/;

export class RegistrationTokens {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  /** Whether the token could be used to register now (GET /register/m.login.registration_token/validity). */
  async isValid(token: string): Promise<boolean> {
    if (!tokenPattern.test(token)) return false;
    const record = await this.storage.registrationTokens.get(token, this.pendingSince());
    return record !== undefined && isUsable(record, this.clock());
  }

  /** The m.login.registration_token stage: holds one use of a valid token for the UIA session. */
  async reserve(sessionId: string, sessionCreatedTs: number, token: string): Promise<boolean> {
    if (!(await this.isValid(token))) return false;
    await this.storage.registrationTokens.reserve(sessionId, token, sessionCreatedTs);
    return true;
  }

  /** Gives back the use a session held, when its registration failed. */
  async release(sessionId: string): Promise<void> {
    await this.storage.registrationTokens.release(sessionId);
  }

  /** All tokens; with `valid`, only those that are (true) or are not (false) usable now. */
  async list(valid?: boolean): Promise<RegistrationToken[]> {
    const now = this.clock();
    const tokens = await this.storage.registrationTokens.list(this.pendingSince());
    return valid === undefined ? tokens : tokens.filter((token) => isUsable(token, now) === valid);
  }

  async get(token: string): Promise<RegistrationToken> {
    const record = await this.storage.registrationTokens.get(token, this.pendingSince());
    if (!record) throw notFound(token);
    return record;
  }

  async create(input: NewRegistrationToken): Promise<RegistrationToken> {
    const usesAllowed = this.checkUsesAllowed(input.usesAllowed ?? null);
    const expiryTime = this.checkExpiryTime(input.expiryTime ?? null);
    const now = this.clock();
    if (input.token !== undefined) {
      if (!tokenPattern.test(input.token)) {
        throw new MatrixError('M_INVALID_PARAM', 'token must be 1 to 64 characters from A-Z, a-z, 0-9 and ._~-');
      }
      if (!(await this.storage.registrationTokens.create(input.token, usesAllowed, expiryTime, now))) {
        throw new MatrixError('M_INVALID_PARAM', `Token already exists: ${input.token}`);
      }
      return { token: input.token, usesAllowed, pending: 0, completed: 0, expiryTime };
    }
    const length = input.length ?? 16;
    if (!Number.isInteger(length) || length < 1 || length > 64) throw new MatrixError('M_INVALID_PARAM', 'length must be greater than zero and not greater than 64');
    // A short generated token can collide with an existing one: draw again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const token = Array.from({ length }, () => tokenAlphabet[randomInt(tokenAlphabet.length)]).join('');
      if (await this.storage.registrationTokens.create(token, usesAllowed, expiryTime, now)) return { token, usesAllowed, pending: 0, completed: 0, expiryTime };
    }
    throw new MatrixError('M_UNKNOWN', 'Could not generate a unique token: ask for a longer one', { status: 500 });
  }

  /** Changes uses_allowed and/or expiry_time; fields left undefined keep their value. */
  async update(token: string, changes: RegistrationTokenChanges): Promise<RegistrationToken> {
    const checked: RegistrationTokenChanges = {};
    if (changes.usesAllowed !== undefined) checked.usesAllowed = this.checkUsesAllowed(changes.usesAllowed);
    if (changes.expiryTime !== undefined) checked.expiryTime = this.checkExpiryTime(changes.expiryTime);
    if (!(await this.storage.registrationTokens.update(token, checked))) throw notFound(token);
    return this.get(token);
  }

  async delete(token: string): Promise<void> {
    if (!(await this.storage.registrationTokens.delete(token))) throw notFound(token);
  }

  /** Reservations older than a UIA session can live belong to abandoned sessions and no longer count. */
  private pendingSince(): number {
    return this.clock() - uiaSessionLifetimeMs;
  }

  private checkUsesAllowed(usesAllowed: number | null): number | null {
    if (usesAllowed !== null && (!Number.isInteger(usesAllowed) || usesAllowed < 0)) {
      throw new MatrixError('M_INVALID_PARAM', 'uses_allowed must be a non-negative integer or null');
    }
    return usesAllowed;
  }

  private checkExpiryTime(expiryTime: number | null): number | null {
    if (expiryTime !== null && !Number.isInteger(expiryTime)) throw new MatrixError('M_INVALID_PARAM', 'expiry_time must be an integer or null');
    if (expiryTime !== null && expiryTime < this.clock()) throw new MatrixError('M_INVALID_PARAM', 'expiry_time must not be in the past');
    return expiryTime;
  }
}

/** Usable now: not expired, and uses left once the pending ones complete. */
export function isUsable(token: RegistrationToken, now: number): boolean {
  const usesLeft = token.usesAllowed === null || token.pending + token.completed < token.usesAllowed;
  return usesLeft && (token.expiryTime === null || token.expiryTime > now);
}

function notFound(token: string): MatrixError {
  return new MatrixError('M_NOT_FOUND', `No such registration token: ${token}`);
}
