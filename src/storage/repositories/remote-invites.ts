/** Invites of local users to rooms this server is not in (table remote_invites). */
import type { Database } from '../database.ts';

export interface RemoteInvite {
  userId: string;
  roomId: string;
  eventId: string;
  roomVersion: string;
  event: Record<string, unknown>;
  inviteState: Array<Record<string, unknown>>;
  membership: 'invite' | 'leave';
  streamPosition: number;
}

interface Row {
  user_id: string;
  room_id: string;
  event_id: string;
  room_version: string;
  event_json: string;
  invite_state_json: string;
  membership: string;
  stream_position: number | string;
}

const toInvite = (row: Row): RemoteInvite => ({
  userId: row.user_id,
  roomId: row.room_id,
  eventId: row.event_id,
  roomVersion: row.room_version,
  event: JSON.parse(row.event_json) as Record<string, unknown>,
  inviteState: JSON.parse(row.invite_state_json) as Array<Record<string, unknown>>,
  membership: row.membership as RemoteInvite['membership'],
  streamPosition: Number(row.stream_position),
});

export class RemoteInviteRepository {
  constructor(private readonly db: Database) {}

  /** Records the invite (a newer invite to the same room replaces the older). */
  async put(invite: RemoteInvite): Promise<void> {
    const row: Row = {
      user_id: invite.userId,
      room_id: invite.roomId,
      event_id: invite.eventId,
      room_version: invite.roomVersion,
      event_json: JSON.stringify(invite.event),
      invite_state_json: JSON.stringify(invite.inviteState),
      membership: invite.membership,
      stream_position: invite.streamPosition,
    };
    await this.db<Row>('remote_invites').insert(row).onConflict(['user_id', 'room_id']).merge();
  }

  async forUser(userId: string): Promise<RemoteInvite[]> {
    return (await this.db<Row>('remote_invites').where({ user_id: userId }).orderBy('stream_position')).map(toInvite);
  }

  async remove(userId: string, roomId: string): Promise<void> {
    await this.db('remote_invites').where({ user_id: userId, room_id: roomId }).delete();
  }
}
