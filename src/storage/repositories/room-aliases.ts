/** Local room aliases (table room_aliases): alias → room, with the user who created the mapping. */
import type { Database } from '../database.ts';

export interface AliasRecord {
  roomAlias: string;
  roomId: string;
  creator: string;
}

export class RoomAliasRepository {
  constructor(private readonly db: Database) {}

  /** False when the alias is already taken. */
  async create(record: AliasRecord): Promise<boolean> {
    const inserted = await this.db('room_aliases')
      .insert({ room_alias: record.roomAlias, room_id: record.roomId, creator: record.creator })
      .onConflict('room_alias')
      .ignore()
      .returning('room_alias');
    return inserted.length > 0;
  }

  async get(roomAlias: string): Promise<AliasRecord | undefined> {
    const row = await this.db('room_aliases').where('room_alias', roomAlias).first();
    return row && { roomAlias: row.room_alias, roomId: row.room_id, creator: row.creator };
  }

  async delete(roomAlias: string): Promise<void> {
    await this.db('room_aliases').where('room_alias', roomAlias).delete();
  }

  /** Points every alias of one room at another (client-server-api "Room Upgrades" step 4). */
  async moveToRoom(fromRoomId: string, toRoomId: string): Promise<void> {
    await this.db('room_aliases').where('room_id', fromRoomId).update({ room_id: toRoomId });
  }

  async ofRoom(roomId: string): Promise<string[]> {
    const rows = await this.db('room_aliases').where('room_id', roomId).orderBy('room_alias').select('room_alias');
    return rows.map((row: { room_alias: string }) => row.room_alias);
  }
}
