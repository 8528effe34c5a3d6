/** Knocks of local users on rooms this server is not in (table remote_knocks). */
import type { Database } from '../database.ts';

export interface RemoteKnock {
  userId: string;
  roomId: string;
  /** The knock, or once retracted the leave. */
  eventId: string;
  roomVersion: string;
  event: Record<string, unknown>;
  knockState: Array<Record<string, unknown>>;
  membership: 'knock' | 'leave';
  streamPosition: number;
}

interface Row {
  user_id: string;
  room_id: string;
  event_id: string;
  room_version: string;
  event_json: string;
  knock_state_json: string;
  membership: string;
  stream_position: number | string;
}

const toKnock = (row: Row): RemoteKnock => ({
  userId: row.user_id,
  roomId: row.room_id,
  eventId: row.event_id,
  roomVersion: row.room_version,
  event: JSON.parse(row.event_json) as Record<string, unknown>,
  knockState: JSON.parse(row.knock_state_json) as Array<Record<string, unknown>>,
  membership: row.membership as RemoteKnock['membership'],
  streamPosition: Number(row.stream_position),
});

export class RemoteKnockRepository {
  constructor(private readonly db: Database) {}

  /** Records the knock (or its retraction): one row per user and room, the newest wins. */
  async put(knock: RemoteKnock): Promise<void> {
    const row: Row = {
      user_id: knock.userId,
      room_id: knock.roomId,
      event_id: knock.eventId,
      room_version: knock.roomVersion,
      event_json: JSON.stringify(knock.event),
      knock_state_json: JSON.stringify(knock.knockState),
      membership: knock.membership,
      stream_position: knock.streamPosition,
    };
    await this.db<Row>('remote_knocks').insert(row).onConflict(['user_id', 'room_id']).merge();
  }

  async forUser(userId: string): Promise<RemoteKnock[]> {
    return (await this.db<Row>('remote_knocks').where({ user_id: userId }).orderBy('stream_position')).map(toKnock);
  }

  async remove(userId: string, roomId: string): Promise<void> {
    await this.db('remote_knocks').where({ user_id: userId, room_id: roomId }).delete();
  }
}
