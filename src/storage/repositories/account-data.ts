/** Global and per-room account data (table account_data), numbered on the account_data stream. */
import type { Database } from '../database.ts';

export interface AccountDataRecord {
  roomId: string | null;
  type: string;
  content: Record<string, unknown>;
  streamPosition: number;
}

interface Row {
  user_id: string;
  room_id: string;
  type: string;
  content_json: string;
  stream_position: number;
}

const toRecord = (row: Row): AccountDataRecord => ({
  roomId: row.room_id === '' ? null : row.room_id,
  type: row.type,
  content: JSON.parse(row.content_json) as Record<string, unknown>,
  streamPosition: Number(row.stream_position),
});

export class AccountDataRepository {
  constructor(private readonly db: Database) {}

  /** Writes the content at `streamPosition` (from the same transaction's stream counter). */
  async put(userId: string, roomId: string | null, type: string, content: Record<string, unknown>, streamPosition: number): Promise<void> {
    await this.db<Row>('account_data')
      .insert({ user_id: userId, room_id: roomId ?? '', type, content_json: JSON.stringify(content), stream_position: streamPosition })
      .onConflict(['user_id', 'room_id', 'type'])
      .merge(['content_json', 'stream_position']);
  }

  async get(userId: string, roomId: string | null, type: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.db<Row>('account_data').where({ user_id: userId, room_id: roomId ?? '', type }).first();
    return row && toRecord(row).content;
  }

  /** Everything of the user changed after `since` and up to `upTo` (all of it when since is 0). */
  /** The user's account data for one room, as it stands at `upTo` on the account_data stream. */
  async ofRoom(userId: string, roomId: string, upTo: number): Promise<AccountDataRecord[]> {
    const rows = await this.db<Row>('account_data').where({ user_id: userId, room_id: roomId }).andWhere('stream_position', '<=', upTo).orderBy('stream_position');
    return rows.map(toRecord);
  }

  async changedBetween(userId: string, since: number, upTo: number): Promise<AccountDataRecord[]> {
    const rows = await this.db<Row>('account_data').where('user_id', userId).andWhere('stream_position', '>', since).andWhere('stream_position', '<=', upTo).orderBy('stream_position');
    return rows.map(toRecord);
  }
}
