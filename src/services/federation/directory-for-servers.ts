/**
 * This server's directories as other servers read them: room aliases (server-server-api "Querying for
 * information", GET /query/directory) and the published room directory (server-server-api "Published
 * Room Directory", GET/POST /publicRooms), the latter only when `allow_public_rooms_over_federation`.
 */
import { MatrixError } from '../../core/errors.ts';
import { parseRoomAlias, serverNameOf, type RoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { PublicRoomsQuery, RoomDirectory } from '../rooms/room-directory.ts';
import type { RoomStates } from '../rooms/room-states.ts';

export class DirectoryForServers {
  constructor(
    private readonly storage: Storage,
    private readonly roomStates: RoomStates,
    private readonly roomDirectory: RoomDirectory,
    private readonly options: { serverName: string; allowPublicRoomsOverFederation: boolean },
  ) {}

  /**
   * query.yaml /query/directory: the room of a local alias and "server names that are likely to hold
   * the given room": the servers of its joined members, this one first.
   */
  async resolveAlias(alias: string): Promise<{ room_id: string; servers: string[] }> {
    const roomAlias = parseRoomAlias(alias);
    const record = serverNameOf(roomAlias) === this.options.serverName ? await this.storage.roomAliases.get(roomAlias) : undefined;
    if (!record) throw new MatrixError('M_NOT_FOUND', 'Room alias not found.');
    const servers = new Set([this.options.serverName]);
    if (await this.storage.roomEvents.room(record.roomId)) {
      for (const userId of await this.roomStates.members(record.roomId as RoomId, ['join'])) servers.add(userId.slice(userId.indexOf(':') + 1));
    }
    return { room_id: record.roomId, servers: [...servers] };
  }

  /** public_rooms.yaml: this server's published rooms, as its clients see them; 403 unless federation may read them. */
  async publicRooms(query: PublicRoomsQuery): ReturnType<RoomDirectory['publicRooms']> {
    if (!this.options.allowPublicRoomsOverFederation) throw new MatrixError('M_FORBIDDEN', 'This server does not publish its room directory over federation');
    return this.roomDirectory.publicRooms(query);
  }
}
