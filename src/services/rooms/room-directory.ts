/**
 * The published room directory (client-server-api "Published room directory",
 * data/api/client-server/list_public_rooms.yaml). Rooms are listed largest first, as the spec
 * recommends; `since` tokens are offsets into that order. Room summaries come from current state.
 */
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf, type StateKey } from '../../core/events/pdu.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { RoomPermissions } from './room-permissions.ts';
import type { RoomStates } from './room-states.ts';

export interface PublicRoomsChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule?: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  room_type?: string;
}

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  searchTerm?: string;
  /** Room types to include; `null` in the list stands for rooms without a type. */
  roomTypes?: Array<string | null>;
}

const summaryTypes = ['m.room.name', 'm.room.topic', 'm.room.canonical_alias', 'm.room.avatar', 'm.room.join_rules', 'm.room.history_visibility', 'm.room.guest_access', 'm.room.create'];

export class RoomDirectory {
  constructor(
    private readonly storage: Storage,
    private readonly roomStates: RoomStates,
    private readonly permissions: RoomPermissions,
  ) {}

  async visibility(roomId: RoomId): Promise<'public' | 'private'> {
    const room = await this.storage.roomEvents.room(roomId);
    if (!room) throw new MatrixError('M_NOT_FOUND', 'Unknown room');
    return room.isPublic ? 'public' : 'private';
  }

  /** Publishing needs the power to set the room's canonical alias (as Synapse requires). */
  async setVisibility(requester: Requester, roomId: RoomId, visibility: 'public' | 'private'): Promise<void> {
    if (!(await this.storage.roomEvents.room(roomId))) throw new MatrixError('M_NOT_FOUND', 'Unknown room');
    if ((await this.roomStates.membership(roomId, requester.userId)) !== 'join' || !(await this.permissions.canSendState(requester.userId, roomId, 'm.room.canonical_alias'))) {
      throw new MatrixError('M_FORBIDDEN', 'You may not change the directory visibility of this room');
    }
    await this.storage.roomEvents.setPublic(roomId, visibility === 'public');
  }

  async publicRooms(query: PublicRoomsQuery): Promise<{ chunk: PublicRoomsChunk[]; next_batch?: string; prev_batch?: string; total_room_count_estimate: number }> {
    const term = query.searchTerm?.toLowerCase();
    const summaries: PublicRoomsChunk[] = [];
    for (const roomId of await this.storage.roomEvents.publicRoomIds()) {
      const summary = await this.summary(roomId as RoomId);
      if (term && ![summary.name, summary.topic, summary.canonical_alias, summary.room_id].some((text) => text?.toLowerCase().includes(term))) continue;
      if (query.roomTypes && !query.roomTypes.includes(summary.room_type ?? null)) continue;
      summaries.push(summary);
    }
    summaries.sort((a, b) => b.num_joined_members - a.num_joined_members || a.room_id.localeCompare(b.room_id));
    const offset = query.since === undefined ? 0 : parseOffset(query.since);
    const limit = query.limit === undefined ? summaries.length : Math.max(query.limit, 0);
    const chunk = summaries.slice(offset, offset + limit);
    return {
      chunk,
      ...(offset + chunk.length < summaries.length ? { next_batch: `o${offset + chunk.length}` } : {}),
      ...(offset > 0 ? { prev_batch: `o${Math.max(offset - limit, 0)}` } : {}),
      total_room_count_estimate: summaries.length,
    };
  }

  private async summary(roomId: RoomId): Promise<PublicRoomsChunk> {
    const { state } = await this.roomStates.currentState(roomId);
    const events = await this.roomStates.events(state, summaryTypes.map((type) => stateKeyOf(type, '')) as StateKey[]);
    const content = (type: string) => events.get(stateKeyOf(type, ''))?.content ?? {};
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    const chunk: PublicRoomsChunk = {
      room_id: roomId,
      num_joined_members: (await this.roomStates.joinedMembers(roomId)).size,
      world_readable: content('m.room.history_visibility').history_visibility === 'world_readable',
      guest_can_join: content('m.room.guest_access').guest_access === 'can_join',
    };
    const optional: Partial<PublicRoomsChunk> = {
      join_rule: text(content('m.room.join_rules').join_rule),
      name: text(content('m.room.name').name),
      topic: text(content('m.room.topic').topic),
      canonical_alias: text(content('m.room.canonical_alias').alias),
      avatar_url: text(content('m.room.avatar').url),
      room_type: text(content('m.room.create').type),
    };
    for (const [key, value] of Object.entries(optional)) if (value !== undefined) (chunk as unknown as Record<string, unknown>)[key] = value;
    return chunk;
  }
}

function parseOffset(token: string): number {
  const match = /^o(\d{1,9})$/.exec(token);
  if (!match) throw new MatrixError('M_INVALID_PARAM', 'Invalid since token');
  return Number(match[1]);
}
