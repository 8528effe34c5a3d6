/** Key backup versions (room_key_backup_versions) and their session keys (room_key_backup_keys). */
import type { Database } from '../database.ts';

export interface BackupVersionRecord {
  version: number;
  algorithm: string;
  authData: Record<string, unknown>;
  etag: number;
}

export interface BackedUpKey {
  roomId: string;
  sessionId: string;
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: Record<string, unknown>;
}

interface VersionRow {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data_json: string;
  etag: number;
  deleted: boolean | number;
}

interface KeyRow {
  user_id: string;
  version: number;
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean | number;
  session_data_json: string;
}

const toVersion = (row: VersionRow): BackupVersionRecord => ({ version: row.version, algorithm: row.algorithm, authData: JSON.parse(row.auth_data_json) as Record<string, unknown>, etag: row.etag });
const toKey = (row: KeyRow): BackedUpKey => ({
  roomId: row.room_id,
  sessionId: row.session_id,
  firstMessageIndex: row.first_message_index,
  forwardedCount: row.forwarded_count,
  isVerified: Boolean(row.is_verified),
  sessionData: JSON.parse(row.session_data_json) as Record<string, unknown>,
});

export interface KeyScope {
  roomId?: string;
  sessionId?: string;
}

export class KeyBackupRepository {
  constructor(private readonly db: Database) {}

  /** The newest version not deleted. */
  async latestVersion(userId: string): Promise<BackupVersionRecord | undefined> {
    const row = await this.db<VersionRow>('room_key_backup_versions').where({ user_id: userId }).andWhere('deleted', false).orderBy('version', 'desc').first();
    return row && toVersion(row);
  }

  async version(userId: string, version: number): Promise<BackupVersionRecord | undefined> {
    const row = await this.db<VersionRow>('room_key_backup_versions').where({ user_id: userId, version }).andWhere('deleted', false).first();
    return row && toVersion(row);
  }

  /** Creates the next version number (deleted versions keep their numbers). */
  async createVersion(userId: string, algorithm: string, authData: Record<string, unknown>): Promise<number> {
    const last = await this.db<VersionRow>('room_key_backup_versions').where('user_id', userId).max<{ max: number | null }>('version as max').first();
    const version = (last?.max ?? 0) + 1;
    await this.db<VersionRow>('room_key_backup_versions').insert({ user_id: userId, version, algorithm, auth_data_json: JSON.stringify(authData), etag: 0, deleted: false });
    return version;
  }

  async updateAuthData(userId: string, version: number, authData: Record<string, unknown>): Promise<void> {
    await this.db<VersionRow>('room_key_backup_versions').where({ user_id: userId, version }).update({ auth_data_json: JSON.stringify(authData) });
  }

  async deleteVersion(userId: string, version: number): Promise<void> {
    await this.db<KeyRow>('room_key_backup_keys').where({ user_id: userId, version }).delete();
    await this.db<VersionRow>('room_key_backup_versions').where({ user_id: userId, version }).update({ deleted: true });
  }

  async bumpEtag(userId: string, version: number): Promise<void> {
    await this.db<VersionRow>('room_key_backup_versions').where({ user_id: userId, version }).increment('etag', 1);
  }

  async keys(userId: string, version: number, scope: KeyScope = {}): Promise<BackedUpKey[]> {
    const query = this.db<KeyRow>('room_key_backup_keys').where({ user_id: userId, version });
    if (scope.roomId !== undefined) query.andWhere('room_id', scope.roomId);
    if (scope.sessionId !== undefined) query.andWhere('session_id', scope.sessionId);
    return (await query.orderBy(['room_id', 'session_id'])).map(toKey);
  }

  async countKeys(userId: string, version: number): Promise<number> {
    const row = await this.db<KeyRow>('room_key_backup_keys').where({ user_id: userId, version }).count<{ count: string | number }[]>('* as count').first();
    return Number(row?.count ?? 0);
  }

  async putKey(userId: string, version: number, key: BackedUpKey): Promise<void> {
    await this.db<KeyRow>('room_key_backup_keys')
      .insert({
        user_id: userId,
        version,
        room_id: key.roomId,
        session_id: key.sessionId,
        first_message_index: key.firstMessageIndex,
        forwarded_count: key.forwardedCount,
        is_verified: key.isVerified,
        session_data_json: JSON.stringify(key.sessionData),
      })
      .onConflict(['user_id', 'version', 'room_id', 'session_id'])
      .merge(['first_message_index', 'forwarded_count', 'is_verified', 'session_data_json']);
  }

  async deleteKeys(userId: string, version: number, scope: KeyScope = {}): Promise<void> {
    const query = this.db<KeyRow>('room_key_backup_keys').where({ user_id: userId, version });
    if (scope.roomId !== undefined) query.andWhere('room_id', scope.roomId);
    if (scope.sessionId !== undefined) query.andWhere('session_id', scope.sessionId);
    await query.delete();
  }
}
