/**
 * Access and refresh tokens: 256 random bits, handed to the client once and stored only as a SHA-256
 * hash, so a database leak does not leak sessions. A fast hash is enough for secrets with this much
 * entropy. The prefixes tell the two kinds apart in logs and bug reports.
 */
import { createHash, randomBytes } from 'node:crypto';

export function generateAccessToken(): string {
  return `lat_${randomBytes(32).toString('base64url')}`;
}

export function generateRefreshToken(): string {
  return `latr_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of an access or refresh token. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Device IDs as clients show them: short, upper-case, unambiguous. */
export function generateDeviceId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
}
