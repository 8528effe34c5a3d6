/**
 * Room aliases (client-server-api "Room aliases", data/api/client-server/directory.yaml): local
 * aliases map to rooms; the user who created one, or a user allowed to set the room's canonical alias,
 * may delete it. Other servers' aliases are resolved over federation.
 */
import { MatrixError } from '../../core/errors.ts';
import { parseRoomAlias, parseRoomId, serverNameOf, type RoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { RoomPermissions } from './room-permissions.ts';
import type { RoomStates } from './room-states.ts';

export class RoomAliases {
  constructor(
    private readonly storage: Storage,
    private readonly roomStates: RoomStates,
    private readonly permissions: RoomPermissions,
    private readonly serverName: string,
    /** Aliases of other servers, asked over federation. */
    private readonly remote?: { alias(alias: string): Promise<{ room_id: string; servers: string[] }> },
  ) {}

  async resolve(alias: string): Promise<{ room_id: string; servers: string[] }> {
    const roomAlias = parseRoomAlias(alias);
    if (this.remote && serverNameOf(roomAlias) !== this.serverName) return this.remote.alias(roomAlias);
    const record = serverNameOf(roomAlias) === this.serverName ? await this.storage.roomAliases.get(roomAlias) : undefined;
    if (!record) throw new MatrixError('M_NOT_FOUND', `Room alias ${roomAlias} not found`);
    return { room_id: record.roomId, servers: [this.serverName] };
  }

  async create(requester: Requester, alias: string, roomId: string): Promise<void> {
    const roomAlias = this.localAlias(alias);
    const room = parseRoomId(roomId);
    if (!(await this.storage.roomEvents.room(room))) throw new MatrixError('M_NOT_FOUND', 'Unknown room');
    if (!(await this.storage.roomAliases.create({ roomAlias, roomId: room, creator: requester.userId }))) {
      throw new MatrixError('M_UNKNOWN', `Room alias ${roomAlias} already exists`, { status: 409 });
    }
  }

  async delete(requester: Requester, alias: string): Promise<void> {
    const roomAlias = this.localAlias(alias);
    const record = await this.storage.roomAliases.get(roomAlias);
    if (!record) throw new MatrixError('M_NOT_FOUND', `Room alias ${roomAlias} not found`);
    if (record.creator !== requester.userId && !(await this.permissions.canSendState(requester.userId, record.roomId as RoomId, 'm.room.canonical_alias'))) {
      throw new MatrixError('M_FORBIDDEN', 'You may not delete this alias');
    }
    await this.storage.roomAliases.delete(roomAlias);
  }

  async ofRoom(requester: Requester, roomId: RoomId): Promise<string[]> {
    const membership = await this.roomStates.membership(roomId, requester.userId);
    const visibility = await this.roomStates.currentEvent(roomId, 'm.room.history_visibility', '');
    if (membership !== 'join' && visibility?.content.history_visibility !== 'world_readable') throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
    return this.storage.roomAliases.ofRoom(roomId);
  }

  private localAlias(alias: string): string {
    const roomAlias = parseRoomAlias(alias);
    if (serverNameOf(roomAlias) !== this.serverName) throw new MatrixError('M_INVALID_PARAM', 'Aliases of other servers cannot be changed here');
    return roomAlias;
  }
}
