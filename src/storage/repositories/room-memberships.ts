/**
 * Who shares a room with whom, from the current memberships and the membership events on the events
 * stream: the reads the device_lists stream and presence need to know whom a change concerns.
 */
import type { Knex } from 'knex';
import type { Database } from '../database.ts';
import { StateGroupRepository } from './state-groups.ts';

/** Users or rooms per `IN (...)` list, well under SQLite's bound-parameter limit. */
const candidateChunk = 500;
/** Up to this many joins in a range, each is checked for being a profile change rather than a join. */
const joinsChecked = 50;

function membershipOf(pduJson: string): string {
  return String((JSON.parse(pduJson) as { content?: { membership?: unknown } }).content?.membership);
}

/**
 * Users joined to a room `userId` is joined to (column `theirs.state_key`). The cross join fixes
 * the join order on SQLite (whose planner would otherwise scan every membership by type): the
 * user's rooms first, then each room's members by primary key.
 */
export function roomMatesQuery(db: Database, userId: string): Knex.QueryBuilder {
  return db('current_state as mine')
    .crossJoin('current_state as theirs' as never)
    .whereRaw('theirs.room_id = mine.room_id')
    .distinct('theirs.state_key')
    .where({ 'mine.type': 'm.room.member', 'mine.state_key': userId, 'mine.membership': 'join', 'theirs.type': 'm.room.member', 'theirs.membership': 'join' });
}

export class RoomMembershipRepository {
  constructor(private readonly db: Database) {}

  /** The users joined to a room `userId` is joined to (`userId` among them when joined anywhere), or those of them among `among`. */
  async usersSharingRoomsWith(userId: string, among?: readonly string[]): Promise<Set<string>> {
    if (!among) return new Set((await roomMatesQuery(this.db, userId)).map((row: { state_key: string }) => row.state_key));
    const sharing = new Set<string>();
    for (let i = 0; i < among.length; i += candidateChunk) {
      // Candidates first (few, each in few rooms), then whether `userId` is joined to each of their rooms.
      const rows = await this.db('current_state as theirs')
        .crossJoin('current_state as mine' as never)
        .whereRaw('mine.room_id = theirs.room_id')
        .distinct('theirs.state_key')
        .where({ 'theirs.type': 'm.room.member', 'theirs.membership': 'join', 'mine.type': 'm.room.member', 'mine.state_key': userId, 'mine.membership': 'join' })
        .whereIn('theirs.state_key', among.slice(i, i + candidateChunk));
      for (const row of rows as Array<{ state_key: string }>) sharing.add(row.state_key);
    }
    return sharing;
  }

  /** The users currently joined to any of `roomIds`. */
  async joinedMembersOf(roomIds: readonly string[]): Promise<string[]> {
    const members = new Set<string>();
    for (let i = 0; i < roomIds.length; i += candidateChunk) {
      // No DISTINCT: with it, SQLite walks the (type, state_key) index in order instead of each room's rows.
      const rows = await this.db('current_state').select('state_key').whereIn('room_id', roomIds.slice(i, i + candidateChunk)).andWhere({ type: 'm.room.member', membership: 'join' });
      for (const row of rows as Array<{ state_key: string }>) members.add(row.state_key);
    }
    return [...members];
  }

  /**
   * Membership changes on the events stream in (`after`, `upTo`] in the rooms where `userId` has a
   * membership (joined, or once was), in stream order: who joined or left a room shared with them. A
   * join that only changes a profile (the state before it already has the user joined) is left out;
   * past `joinsChecked` joins they are kept unchecked, which only makes clients query keys again.
   */
  async membershipChangesAround(userId: string, after: number, upTo: number): Promise<Array<{ roomId: string; userId: string; membership: string }>> {
    if (after >= upTo) return [];
    const rows: Array<{ room_id: string; state_key: string; pdu_json: string; state_before_group: number | string | null }> = await this.db('events')
      .select('room_id', 'state_key', 'pdu_json', 'state_before_group')
      .where('type', 'm.room.member')
      .andWhere('stream_position', '>', after)
      .andWhere('stream_position', '<=', upTo)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .whereIn('room_id', this.db('current_state').select('room_id').where({ type: 'm.room.member', state_key: userId }))
      .orderBy('stream_position');
    const changes = rows.map((row) => ({ roomId: row.room_id, userId: row.state_key, membership: membershipOf(row.pdu_json), before: row.state_before_group }));
    const joins = changes.filter((change) => change.membership === 'join' && change.before !== null);
    if (joins.length > joinsChecked) return changes.map(({ roomId, userId: member, membership }) => ({ roomId, userId: member, membership }));
    const result: Array<{ roomId: string; userId: string; membership: string }> = [];
    for (const change of changes) {
      if (joins.includes(change) && (await this.membershipInGroup(Number(change.before), change.userId)) === 'join') continue;
      result.push({ roomId: change.roomId, userId: change.userId, membership: change.membership });
    }
    return result;
  }

  /** The membership of `userId` in a state snapshot. */
  private async membershipInGroup(groupId: number, userId: string): Promise<string | undefined> {
    const eventId = await new StateGroupRepository(this.db).eventIdAt(groupId, 'm.room.member', userId);
    if (!eventId) return undefined;
    const event = await this.db('events').where('event_id', eventId).first('pdu_json');
    return event ? membershipOf((event as { pdu_json: string }).pdu_json) : undefined;
  }
}
