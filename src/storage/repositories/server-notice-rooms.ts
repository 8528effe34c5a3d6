/** Each user's server notices room (table server_notice_rooms). */
import type { Database } from '../database.ts';

export class ServerNoticeRoomRepository {
  constructor(private readonly db: Database) {}

  async roomOf(userId: string): Promise<string | undefined> {
    const row = await this.db('server_notice_rooms').where('user_id', userId).first('room_id');
    return (row as { room_id: string } | undefined)?.room_id;
  }

  /** Records `roomId` as the user's notices room, replacing an earlier one. */
  async set(userId: string, roomId: string): Promise<void> {
    await this.db('server_notice_rooms').insert({ user_id: userId, room_id: roomId }).onConflict('user_id').merge();
  }
}
