/**
 * The tokens of a device's session (client-server-api "Refreshing access tokens"): an access token,
 * which expires if the server is configured so, and, for clients that ask for one, a refresh token to
 * exchange for the next access token and refresh token.
 *
 * Rotation: exchanging refresh token R for R' records R' as R's successor; R stays valid (so a client
 * that lost the answer can repeat the exchange, which replaces R') until R' or its access token is
 * first used, at which point R and the access token issued with R are deleted. Expired tokens answer
 * M_UNKNOWN_TOKEN with soft_logout: true ("Soft logout"): the device survives and the client may log
 * in again with the same device ID.
 */
import { MatrixError } from '../../core/errors.ts';
import type { AccessTokenOwner } from '../../storage/repositories/devices.ts';
import type { Repositories } from '../../storage/storage.ts';
import { generateAccessToken, generateRefreshToken, hashAccessToken } from './access-tokens.ts';

/** Token lifetimes in milliseconds; null means the token does not expire. */
export interface TokenLifetimes {
  /** Access tokens issued with a refresh token; null disables refresh tokens. */
  refreshableAccessToken: number | null;
  /** Refresh tokens, counted from their issue (each exchange issues a fresh one). */
  refreshToken: number | null;
  /** Access tokens issued without a refresh token. */
  nonrefreshableAccessToken: number | null;
}

export const tokensNeverExpire: TokenLifetimes = { refreshableAccessToken: null, refreshToken: null, nonrefreshableAccessToken: null };

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  /** The access token's lifetime, when it has one (the response's expires_in_ms). */
  expiresInMs?: number;
}

/** Issues an access token for the device, with a refresh token when the client wants one and they are enabled. */
export async function issueTokens(
  tx: Repositories,
  lifetimes: TokenLifetimes,
  device: { userId: string; deviceId: string },
  now: number,
  withRefreshToken: boolean,
): Promise<{ tokens: IssuedTokens; refreshTokenId: number | null }> {
  const refreshable = withRefreshToken && lifetimes.refreshableAccessToken !== null;
  const lifetime = refreshable ? lifetimes.refreshableAccessToken : lifetimes.nonrefreshableAccessToken;
  let refreshToken: string | undefined;
  let refreshTokenId: number | null = null;
  if (refreshable) {
    refreshToken = generateRefreshToken();
    const expiresTs = lifetimes.refreshToken === null ? null : now + lifetimes.refreshToken;
    refreshTokenId = await tx.devices.addRefreshToken(hashAccessToken(refreshToken), device.userId, device.deviceId, now, expiresTs);
  }
  const accessToken = generateAccessToken();
  await tx.devices.addAccessToken(hashAccessToken(accessToken), device.userId, device.deviceId, now, lifetime === null ? null : now + lifetime, refreshTokenId);
  const tokens = { accessToken, ...(refreshToken !== undefined ? { refreshToken } : {}), ...(lifetime !== null ? { expiresInMs: lifetime } : {}) };
  return { tokens, refreshTokenId };
}

/** POST /refresh: a new access token and refresh token for the refresh token's device. */
export async function exchangeRefreshToken(tx: Repositories, lifetimes: TokenLifetimes, refreshToken: string, now: number): Promise<IssuedTokens> {
  const existing = await tx.devices.findRefreshToken(hashAccessToken(refreshToken));
  // refresh.yaml: 401 M_UNKNOWN_TOKEN for a token that is unknown or has already been used.
  if (!existing) throw unknownToken('Unknown refresh token', false);
  if (existing.expiresTs !== null && existing.expiresTs <= now) throw unknownToken('Refresh token has expired', true);
  if (lifetimes.refreshableAccessToken === null) throw unknownToken('Refresh tokens are disabled on this server', true);
  const user = await tx.users.get(existing.userId);
  if (!user || user.deactivatedTs !== null) throw unknownToken('Unknown refresh token', false);

  // This token is being used, so the one it replaced is revoked now.
  await tx.devices.deleteRefreshTokensReplacedBy(existing.id);
  const { tokens, refreshTokenId } = await issueTokens(tx, lifetimes, existing, now, true);
  if (refreshTokenId === null) throw new Error('a refresh must issue a refresh token');
  // Claim the token: fails if a concurrent exchange or revocation changed it since we read it.
  if (!(await tx.devices.setNextRefreshToken(existing.id, existing.nextTokenId, refreshTokenId))) {
    throw unknownToken('The refresh token was used concurrently', true);
  }
  // A repeated exchange replaces the pair handed out before, which the client evidently never got.
  if (existing.nextTokenId !== null) await tx.devices.deleteRefreshToken(existing.nextTokenId);
  return tokens;
}

/**
 * On the first use of an access token issued with a refresh token, the refresh token that one replaced
 * is revoked. The refresh token goes first, then the access token row: the order exchangeRefreshToken
 * takes its row locks in, so the two cannot deadlock on PostgreSQL.
 */
export async function recordFirstUse(tx: Repositories, owner: AccessTokenOwner): Promise<void> {
  if (owner.refreshTokenId !== null) await tx.devices.deleteRefreshTokensReplacedBy(owner.refreshTokenId);
  await tx.devices.markAccessTokenUsed(owner.tokenId);
}

export function unknownToken(message: string, softLogout: boolean): MatrixError {
  return new MatrixError('M_UNKNOWN_TOKEN', message, { extra: { soft_logout: softLogout } });
}
