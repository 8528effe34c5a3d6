/**
 * Devices and the tokens that log them in (tables devices, access_tokens, refresh_tokens). Deleting a
 * device deletes its tokens through the foreign keys; deleting a refresh token deletes the access
 * tokens issued with it.
 */
import type { Database } from '../database.ts';

export interface DeviceRecord {
  userId: string;
  deviceId: string;
  displayName: string | null;
  createdTs: number;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
}

interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

interface TokenRow {
  id: number;
  token_hash: string;
  user_id: string;
  device_id: string;
  created_ts: number;
  expires_ts: number | null;
  refresh_token_id: number | null;
  used: boolean | number;
}

interface RefreshTokenRow {
  id: number;
  token_hash: string;
  user_id: string;
  device_id: string;
  created_ts: number;
  expires_ts: number | null;
  next_token_id: number | null;
}

export interface AccessTokenOwner {
  tokenId: number;
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  /** The refresh token issued with this access token, if any. */
  refreshTokenId: number | null;
  /** Whether the token has been used before (recorded only for tokens with a refresh token). */
  used: boolean;
}

export interface RefreshTokenRecord {
  id: number;
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  /** The refresh token this one was exchanged for, while that one has not been used yet. */
  nextTokenId: number | null;
}

const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));

const toDevice = (row: DeviceRow): DeviceRecord => ({
  userId: row.user_id,
  deviceId: row.device_id,
  displayName: row.display_name,
  createdTs: Number(row.created_ts),
  lastSeenTs: row.last_seen_ts === null ? null : Number(row.last_seen_ts),
  lastSeenIp: row.last_seen_ip,
});

export class DeviceRepository {
  constructor(private readonly db: Database) {}

  /** Creates the device, or keeps an existing one (a login may reuse its device ID); returns whether it was new. */
  async upsert(userId: string, deviceId: string, displayName: string | null, now: number): Promise<boolean> {
    const inserted = await this.db<DeviceRow>('devices')
      .insert({ user_id: userId, device_id: deviceId, display_name: displayName, created_ts: now, last_seen_ts: null, last_seen_ip: null })
      .onConflict(['user_id', 'device_id'])
      .ignore()
      .returning('device_id');
    return inserted.length > 0;
  }

  async get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const row = await this.db<DeviceRow>('devices').where({ user_id: userId, device_id: deviceId }).first();
    return row && toDevice(row);
  }

  async list(userId: string): Promise<DeviceRecord[]> {
    return (await this.db<DeviceRow>('devices').where('user_id', userId).orderBy('device_id')).map(toDevice);
  }

  /** Deletes devices and, through the foreign key, their access tokens. */
  async delete(userId: string, deviceIds?: readonly string[]): Promise<void> {
    const query = this.db<DeviceRow>('devices').where('user_id', userId);
    if (deviceIds) query.whereIn('device_id', deviceIds);
    await query.delete();
  }

  async rename(userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
    return (await this.db<DeviceRow>('devices').where({ user_id: userId, device_id: deviceId }).update({ display_name: displayName })) > 0;
  }

  async recordSeen(userId: string, deviceId: string, ts: number, ip: string): Promise<void> {
    await this.db<DeviceRow>('devices').where({ user_id: userId, device_id: deviceId }).update({ last_seen_ts: ts, last_seen_ip: ip });
  }

  /** Deletes every device of the user except `keepDeviceId` (and, with them, their tokens). */
  async deleteAllExcept(userId: string, keepDeviceId: string): Promise<void> {
    await this.db<DeviceRow>('devices').where('user_id', userId).whereNot('device_id', keepDeviceId).delete();
  }

  async addAccessToken(tokenHash: string, userId: string, deviceId: string, now: number, expiresTs: number | null, refreshTokenId: number | null = null): Promise<void> {
    await this.db<TokenRow>('access_tokens').insert({
      token_hash: tokenHash,
      user_id: userId,
      device_id: deviceId,
      created_ts: now,
      expires_ts: expiresTs,
      refresh_token_id: refreshTokenId,
      used: false,
    });
  }

  async findAccessToken(tokenHash: string): Promise<AccessTokenOwner | undefined> {
    const row = await this.db<TokenRow>('access_tokens').where('token_hash', tokenHash).first();
    return (
      row && {
        tokenId: row.id,
        userId: row.user_id,
        deviceId: row.device_id,
        expiresTs: nullableNumber(row.expires_ts),
        refreshTokenId: nullableNumber(row.refresh_token_id),
        used: Boolean(row.used),
      }
    );
  }

  async markAccessTokenUsed(tokenId: number): Promise<void> {
    await this.db<TokenRow>('access_tokens').where('id', tokenId).update({ used: true });
  }

  /** Stores a refresh token's hash for the device; returns its ID. */
  async addRefreshToken(tokenHash: string, userId: string, deviceId: string, now: number, expiresTs: number | null): Promise<number> {
    const [row] = await this.db<RefreshTokenRow>('refresh_tokens')
      .insert({ token_hash: tokenHash, user_id: userId, device_id: deviceId, created_ts: now, expires_ts: expiresTs, next_token_id: null })
      .returning('id');
    if (row === undefined) throw new Error('inserting a refresh token returned no ID');
    return Number(row.id);
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db<RefreshTokenRow>('refresh_tokens').where('token_hash', tokenHash).first();
    return row && { id: row.id, userId: row.user_id, deviceId: row.device_id, expiresTs: nullableNumber(row.expires_ts), nextTokenId: nullableNumber(row.next_token_id) };
  }

  /**
   * Records that refresh token `id` was exchanged for `nextTokenId`, only if its current successor is
   * still `expectedNextTokenId` (and the token still exists); false when a concurrent exchange or
   * revocation got there first.
   */
  async setNextRefreshToken(id: number, expectedNextTokenId: number | null, nextTokenId: number): Promise<boolean> {
    const query = this.db<RefreshTokenRow>('refresh_tokens').where('id', id);
    if (expectedNextTokenId === null) query.whereNull('next_token_id');
    else query.where('next_token_id', expectedNextTokenId);
    return (await query.update({ next_token_id: nextTokenId })) > 0;
  }

  /** Deletes a refresh token and, through the foreign key, the access tokens issued with it. */
  async deleteRefreshToken(id: number): Promise<void> {
    await this.db<RefreshTokenRow>('refresh_tokens').where('id', id).delete();
  }

  /** Deletes the refresh tokens that were exchanged for `id` (with their access tokens). */
  async deleteRefreshTokensReplacedBy(id: number): Promise<void> {
    await this.db<RefreshTokenRow>('refresh_tokens').where('next_token_id', id).delete();
  }
}
