/**
 * Device identity keys, one-time keys, fallback keys and device list changes (E2EE tables).
 */
import type { Knex } from 'knex';
import type { Database } from '../database.ts';
import { RoomMembershipRepository, roomMatesQuery } from './room-memberships.ts';

export type KeyObject = Record<string, unknown>;

/** Up to this many users changed in a range, they are checked one by one against the shared rooms. */
const shortRangeUsers = 200;
interface DeviceKeysRow {
  user_id: string;
  device_id: string;
  keys_json: string;
}

interface KeyRow {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
}

interface FallbackRow extends KeyRow {
  used: boolean | number;
}

export interface ClaimedKey {
  keyId: string;
  key: unknown;
}

export class E2eeKeyRepository {
  constructor(private readonly db: Database) {}

  async deviceKeys(userId: string, deviceId: string): Promise<KeyObject | undefined> {
    const row = await this.db<DeviceKeysRow>('device_keys').where({ user_id: userId, device_id: deviceId }).first();
    return row && (JSON.parse(row.keys_json) as KeyObject);
  }

  /** The device keys of these users (all their devices, or the listed ones), by user and device. */
  async deviceKeysOf(query: ReadonlyMap<string, readonly string[]>): Promise<Array<{ userId: string; deviceId: string; keys: KeyObject }>> {
    const users = [...query.keys()];
    if (users.length === 0) return [];
    const rows = await this.db<DeviceKeysRow>('device_keys').whereIn('user_id', users);
    return rows
      .filter((row) => {
        const devices = query.get(row.user_id)!;
        return devices.length === 0 || devices.includes(row.device_id);
      })
      .map((row) => ({ userId: row.user_id, deviceId: row.device_id, keys: JSON.parse(row.keys_json) as KeyObject }));
  }

  async setDeviceKeys(userId: string, deviceId: string, keys: KeyObject): Promise<void> {
    await this.db<DeviceKeysRow>('device_keys').insert({ user_id: userId, device_id: deviceId, keys_json: JSON.stringify(keys) }).onConflict(['user_id', 'device_id']).merge(['keys_json']);
  }

  async oneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string): Promise<unknown> {
    const row = await this.db<KeyRow>('one_time_keys').where({ user_id: userId, device_id: deviceId, algorithm, key_id: keyId }).first();
    return row && (JSON.parse(row.key_json) as unknown);
  }

  async addOneTimeKeys(userId: string, deviceId: string, keys: ReadonlyArray<{ algorithm: string; keyId: string; key: unknown }>): Promise<void> {
    if (keys.length === 0) return;
    await this.db<KeyRow>('one_time_keys')
      .insert(keys.map((k) => ({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: JSON.stringify(k.key) })))
      .onConflict(['user_id', 'device_id', 'algorithm', 'key_id'])
      .ignore();
  }

  /** Unclaimed one-time keys of the device, per algorithm. */
  async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
    const rows = await this.db<KeyRow>('one_time_keys').where({ user_id: userId, device_id: deviceId }).groupBy('algorithm').select('algorithm').count<{ algorithm: string; count: string | number }[]>('* as count');
    return Object.fromEntries(rows.map((row) => [row.algorithm, Number(row.count)]));
  }

  /**
   * Takes one one-time key of the algorithm, removing it, so no two claims get the same key. The delete
   * is conditional on the row still being there; a concurrent claim of the same key makes this one retry.
   */
  async claimOneTimeKey(userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    for (;;) {
      const row = await this.db<KeyRow>('one_time_keys').where({ user_id: userId, device_id: deviceId, algorithm }).orderBy('key_id').first();
      if (!row) return undefined;
      const deleted = await this.db<KeyRow>('one_time_keys').where({ user_id: userId, device_id: deviceId, algorithm, key_id: row.key_id }).delete();
      if (deleted === 1) return { keyId: `${algorithm}:${row.key_id}`, key: JSON.parse(row.key_json) as unknown };
    }
  }

  async setFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, key: unknown): Promise<void> {
    await this.db<FallbackRow>('fallback_keys')
      .insert({ user_id: userId, device_id: deviceId, algorithm, key_id: keyId, key_json: JSON.stringify(key), used: false })
      .onConflict(['user_id', 'device_id', 'algorithm'])
      .merge(['key_id', 'key_json', 'used']);
  }

  /** The device's fallback key of the algorithm, marked used (it stays claimable until replaced). */
  async claimFallbackKey(userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    const row = await this.db<FallbackRow>('fallback_keys').where({ user_id: userId, device_id: deviceId, algorithm }).first();
    if (!row) return undefined;
    await this.db<FallbackRow>('fallback_keys').where({ user_id: userId, device_id: deviceId, algorithm }).update({ used: true });
    return { keyId: `${algorithm}:${row.key_id}`, key: JSON.parse(row.key_json) as unknown };
  }

  /** Algorithms for which the device has a fallback key no one has claimed yet. */
  async unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
    const rows = await this.db<FallbackRow>('fallback_keys').where({ user_id: userId, device_id: deviceId, used: false }).select('algorithm');
    return rows.map((row) => row.algorithm).sort();
  }

  /**
   * Users whose device lists changed after `since`, up to `upTo`, among `userId` and the users joined
   * to a room `userId` is joined to. A short range (the usual incremental sync) is read first and its
   * few users checked against the shared rooms; a long one is read through the user's room-mates and
   * the (user_id, stream_position) index, so the cost is bounded by either, never by all users.
   */
  async roomMatesWithDeviceListChanges(userId: string, since: number, upTo: number): Promise<string[]> {
    const inRange = (query: Knex.QueryBuilder, table: string) => query.where(`${table}.stream_position`, '>', since).andWhere(`${table}.stream_position`, '<=', upTo);
    const changedRows: Array<{ user_id: string }> = await inRange(this.db('device_list_changes'), 'device_list_changes').distinct('user_id').limit(shortRangeUsers + 1);
    let changed: string[];
    if (changedRows.length <= shortRangeUsers) {
      const candidates = changedRows.map((row) => row.user_id);
      const sharing = await new RoomMembershipRepository(this.db).usersSharingRoomsWith(userId, candidates);
      changed = candidates.filter((user) => user === userId || sharing.has(user));
    } else {
      const rows = await inRange(roomMatesQuery(this.db, userId).crossJoin('device_list_changes as dlc' as never).whereRaw('dlc.user_id = theirs.state_key'), 'dlc')
        .clearSelect()
        .distinct('dlc.user_id as user_id');
      changed = rows.map((row: { user_id: string }) => row.user_id);
      if (!changed.includes(userId) && (await inRange(this.db('device_list_changes'), 'device_list_changes').where('user_id', userId).first())) changed.push(userId);
    }
    return changed.sort();
  }

  async recordDeviceListChange(userId: string, streamPosition: number): Promise<void> {
    await this.db('device_list_changes').insert({ stream_position: streamPosition, user_id: userId });
  }
}
