/** Presence of local users (table presence): one row per user, numbered on the presence stream. */
import type { Database } from '../database.ts';

export type PresenceState = 'online' | 'unavailable' | 'offline';

export interface PresenceRecord {
  userId: string;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  lastUserSyncTs: number;
  currentlyActive: boolean;
  streamPosition: number;
}

interface Row {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number | string;
  last_user_sync_ts: number | string;
  currently_active: boolean | number;
  stream_position: number | string;
}

const toRecord = (row: Row): PresenceRecord => ({
  userId: row.user_id,
  state: row.state as PresenceState,
  statusMsg: row.status_msg,
  lastActiveTs: Number(row.last_active_ts),
  lastUserSyncTs: Number(row.last_user_sync_ts),
  currentlyActive: Boolean(row.currently_active),
  streamPosition: Number(row.stream_position),
});

/** SQLite limits bound parameters per statement; big user lists are read in chunks. */
const chunkSize = 500;

export class PresenceRepository {
  constructor(private readonly db: Database) {}

  async upsert(record: PresenceRecord): Promise<void> {
    await this.db<Row>('presence')
      .insert({
        user_id: record.userId,
        state: record.state,
        status_msg: record.statusMsg,
        last_active_ts: record.lastActiveTs,
        last_user_sync_ts: record.lastUserSyncTs,
        currently_active: record.currentlyActive,
        stream_position: record.streamPosition,
      })
      .onConflict('user_id')
      .merge();
  }

  async get(userId: string): Promise<PresenceRecord | undefined> {
    const row = await this.db<Row>('presence').where('user_id', userId).first();
    return row && toRecord(row);
  }

  /** The presence of `userIds` changed in (after, upTo]; all of their rows when `after` is undefined. */
  async changedBetween(userIds: readonly string[], after: number | undefined, upTo: number): Promise<PresenceRecord[]> {
    const records: PresenceRecord[] = [];
    for (let i = 0; i < userIds.length; i += chunkSize) {
      const query = this.db<Row>('presence').whereIn('user_id', userIds.slice(i, i + chunkSize)).andWhere('stream_position', '<=', upTo);
      if (after !== undefined) query.andWhere('stream_position', '>', after);
      records.push(...(await query).map(toRecord));
    }
    return records.sort((a, b) => a.streamPosition - b.streamPosition);
  }

  /** Users not offline, for the timeout sweep after a restart. */
  async notOffline(): Promise<PresenceRecord[]> {
    return (await this.db<Row>('presence').whereNot('state', 'offline')).map(toRecord);
  }
}
