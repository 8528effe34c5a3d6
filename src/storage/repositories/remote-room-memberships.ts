/** Local users' memberships in rooms this server is not in (table remote_room_memberships). */
import type { Database } from '../database.ts';

export interface RemoteRoomMembership {
  userId: string;
  roomId: string;
  /** The invite, the knock, or the leave that rejected or retracted one. */
  eventId: string;
  roomVersion: string;
  event: Record<string, unknown>;
  /** The room's stripped state, as the inviting or resident server sent it. */
  strippedState: Array<Record<string, unknown>>;
  membership: 'invite' | 'knock' | 'leave';
  streamPosition: number;
}

interface Row {
  user_id: string;
  room_id: string;
  event_id: string;
  room_version: string;
  event_json: string;
  stripped_state_json: string;
  membership: string;
  stream_position: number | string;
}

const toMembership = (row: Row): RemoteRoomMembership => ({
  userId: row.user_id,
  roomId: row.room_id,
  eventId: row.event_id,
  roomVersion: row.room_version,
  event: JSON.parse(row.event_json) as Record<string, unknown>,
  strippedState: JSON.parse(row.stripped_state_json) as Array<Record<string, unknown>>,
  membership: row.membership as RemoteRoomMembership['membership'],
  streamPosition: Number(row.stream_position),
});

export class RemoteRoomMembershipRepository {
  constructor(private readonly db: Database) {}

  /** Records the membership: one row per user and room, the newest wins. */
  async put(membership: RemoteRoomMembership): Promise<void> {
    const row: Row = {
      user_id: membership.userId,
      room_id: membership.roomId,
      event_id: membership.eventId,
      room_version: membership.roomVersion,
      event_json: JSON.stringify(membership.event),
      stripped_state_json: JSON.stringify(membership.strippedState),
      membership: membership.membership,
      stream_position: membership.streamPosition,
    };
    await this.db<Row>('remote_room_memberships').insert(row).onConflict(['user_id', 'room_id']).merge();
  }

  async forUser(userId: string): Promise<RemoteRoomMembership[]> {
    return (await this.db<Row>('remote_room_memberships').where({ user_id: userId }).orderBy('stream_position')).map(toMembership);
  }

  async remove(userId: string, roomId: string): Promise<void> {
    await this.db('remote_room_memberships').where({ user_id: userId, room_id: roomId }).delete();
  }
}
