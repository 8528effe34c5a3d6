/**
 * Synapse's shared-secret registration (/_synapse/admin/v1/register), so register_new_matrix_user
 * and the tools built on it work against Lattice: a single-use nonce, then an HMAC-SHA1 over
 * nonce, username, password and admin flag keyed with registration_shared_secret.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MatrixError } from '../../core/errors.ts';
import type { Accounts, Session } from './accounts.ts';

const nonceLifetimeMs = 60_000;

export interface SharedSecretRegistrationRequest {
  nonce: string;
  username: string;
  password: string;
  admin: boolean;
  userType?: string;
  mac: string;
}

export class SharedSecretRegistration {
  /** Nonces handed out and not yet used, with their expiry. */
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly secret: string | undefined,
    private readonly accounts: Accounts,
    private readonly clock: () => number,
  ) {}

  newNonce(): string {
    this.requireEnabled();
    const now = this.clock();
    for (const [nonce, expires] of this.nonces) if (expires <= now) this.nonces.delete(nonce);
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, now + nonceLifetimeMs);
    return nonce;
  }

  async register(request: SharedSecretRegistrationRequest): Promise<Session> {
    const secret = this.requireEnabled();
    const expires = this.nonces.get(request.nonce);
    if (expires === undefined || expires <= this.clock()) throw new MatrixError('M_UNKNOWN', 'Unrecognised nonce', { status: 400 });
    this.nonces.delete(request.nonce);
    const expected = computeRegistrationMac(secret, request);
    const given = Buffer.from(request.mac, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new MatrixError('M_UNKNOWN', 'HMAC incorrect', { status: 403 });
    return this.accounts.register({ localpart: request.username, password: request.password, admin: request.admin });
  }

  private requireEnabled(): string {
    if (!this.secret) throw new MatrixError('M_UNKNOWN', 'Shared secret registration is not enabled', { status: 400 });
    return this.secret;
  }
}

export function computeRegistrationMac(secret: string, request: Omit<SharedSecretRegistrationRequest, 'mac'>): Buffer {
  const parts = [request.nonce, request.username, request.password, request.admin ? 'admin' : 'notadmin'];
  if (request.userType) parts.push(request.userType);
  return createHmac('sha1', secret).update(parts.join('\0')).digest();
}
