/**
 * Server-side key backups (client-server-api "Server-side key backups"). Keys go only into the newest
 * backup version; when a session's key is uploaded again the better key is kept: verified over
 * unverified, then the lower first_message_index, then the lower forwarded_count.
 */
import { MatrixError } from '../../core/errors.ts';
import type { BackedUpKey, BackupVersionRecord, KeyScope } from '../../storage/repositories/key-backup.ts';
import type { Storage } from '../../storage/storage.ts';

export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}

export type RoomKeys = Record<string, { sessions: Record<string, KeyBackupData> }>;

export class KeyBackup {
  constructor(private readonly storage: Storage) {}

  async createVersion(userId: string, algorithm: string, authData: Record<string, unknown>): Promise<string> {
    return String(await this.storage.transaction((tx) => tx.keyBackup.createVersion(userId, algorithm, authData)));
  }

  /** The newest version, or the one asked for. */
  async versionInfo(userId: string, version?: string) {
    const record = version === undefined ? await this.storage.keyBackup.latestVersion(userId) : await this.existingVersion(userId, version);
    if (!record) throw new MatrixError('M_NOT_FOUND', 'No current backup version');
    return {
      algorithm: record.algorithm,
      auth_data: record.authData,
      count: await this.storage.keyBackup.countKeys(userId, record.version),
      etag: String(record.etag),
      version: String(record.version),
    };
  }

  async updateVersion(userId: string, version: string, algorithm: string, authData: Record<string, unknown>, bodyVersion?: string): Promise<void> {
    const record = await this.existingVersion(userId, version);
    if (bodyVersion !== undefined && bodyVersion !== version) throw new MatrixError('M_INVALID_PARAM', 'The version in the body does not match the path');
    if (algorithm !== record.algorithm) throw new MatrixError('M_INVALID_PARAM', 'The algorithm of a backup version cannot change');
    await this.storage.keyBackup.updateAuthData(userId, record.version, authData);
  }

  async deleteVersion(userId: string, version: string): Promise<void> {
    const record = await this.existingVersion(userId, version);
    await this.storage.transaction((tx) => tx.keyBackup.deleteVersion(userId, record.version));
  }

  /** Stores keys into the newest version (M_WRONG_ROOM_KEYS_VERSION otherwise); returns count and etag. */
  async putKeys(userId: string, version: string, rooms: RoomKeys): Promise<{ count: number; etag: string }> {
    const record = await this.currentVersion(userId, version);
    await this.storage.transaction(async (tx) => {
      let changed = false;
      for (const [roomId, { sessions }] of Object.entries(rooms)) {
        for (const [sessionId, data] of Object.entries(sessions)) {
          const candidate: BackedUpKey = {
            roomId,
            sessionId,
            firstMessageIndex: data.first_message_index,
            forwardedCount: data.forwarded_count,
            isVerified: data.is_verified,
            sessionData: data.session_data,
          };
          const [existing] = await tx.keyBackup.keys(userId, record.version, { roomId, sessionId });
          if (existing && !isBetter(candidate, existing)) continue;
          await tx.keyBackup.putKey(userId, record.version, candidate);
          changed = true;
        }
      }
      if (changed) await tx.keyBackup.bumpEtag(userId, record.version);
    });
    const info = await this.versionInfo(userId, version);
    return { count: info.count, etag: info.etag };
  }

  async getKeys(userId: string, version: string, scope: KeyScope): Promise<RoomKeys> {
    const record = await this.existingVersion(userId, version);
    const rooms: RoomKeys = {};
    for (const key of await this.storage.keyBackup.keys(userId, record.version, scope)) {
      (rooms[key.roomId] ??= { sessions: {} }).sessions[key.sessionId] = {
        first_message_index: key.firstMessageIndex,
        forwarded_count: key.forwardedCount,
        is_verified: key.isVerified,
        session_data: key.sessionData,
      };
    }
    return rooms;
  }

  async deleteKeys(userId: string, version: string, scope: KeyScope): Promise<{ count: number; etag: string }> {
    const record = await this.existingVersion(userId, version);
    await this.storage.transaction(async (tx) => {
      await tx.keyBackup.deleteKeys(userId, record.version, scope);
      await tx.keyBackup.bumpEtag(userId, record.version);
    });
    const info = await this.versionInfo(userId, version);
    return { count: info.count, etag: info.etag };
  }

  private async existingVersion(userId: string, version: string): Promise<BackupVersionRecord> {
    const record = /^\d{1,9}$/.test(version) ? await this.storage.keyBackup.version(userId, Number(version)) : undefined;
    if (!record) throw new MatrixError('M_NOT_FOUND', 'Unknown backup version');
    return record;
  }

  /** key_backup.yaml: keys may only be written to the newest version. */
  private async currentVersion(userId: string, version: string): Promise<BackupVersionRecord> {
    const latest = await this.storage.keyBackup.latestVersion(userId);
    if (!latest) throw new MatrixError('M_NOT_FOUND', 'No current backup version');
    if (String(latest.version) !== version) {
      throw new MatrixError('M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', { extra: { current_version: String(latest.version) } });
    }
    return latest;
  }
}

/** "Server-side key backups": the rule deciding which of two keys for a session to keep. */
function isBetter(candidate: BackedUpKey, existing: BackedUpKey): boolean {
  if (candidate.isVerified !== existing.isVerified) return candidate.isVerified;
  if (candidate.firstMessageIndex !== existing.firstMessageIndex) return candidate.firstMessageIndex < existing.firstMessageIndex;
  return candidate.forwardedCount < existing.forwardedCount;
}
