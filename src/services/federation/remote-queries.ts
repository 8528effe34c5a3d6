/**
 * What clients ask about other servers' users and aliases, answered by those servers
 * (server-server-api "Querying for information": query/profile and query/directory). Answers are
 * checked for shape and mapped to client errors (never relayed blindly), and kept for a minute.
 */
import { lru } from '../../util/lru.ts';
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { serverNameOf, type RoomAlias, type UserId } from '../../core/ids/identifiers.ts';
import { isServerName } from '../../core/ids/server-name.ts';
import type { FederationRequest } from '../../federation-client/federation-client.ts';
import type { RoomChunk } from '../rooms/space-hierarchy.ts';

export interface QueryRequester {
  request<T>(request: FederationRequest): Promise<{ status: number; json: T }>;
}

export class RemoteQueries {
  private readonly profiles = lru<string, Record<string, unknown>>(10_000, { ttl: 60_000 });

  constructor(private readonly requester: QueryRequester) {}

  /** A remote user's profile (displayname, avatar_url and the other fields their server gives). */
  async profile(userId: string): Promise<Record<string, unknown>> {
    const cached = this.profiles.get(userId);
    if (cached) return cached;
    const server = serverNameOf(userId as UserId)!;
    const json = await this.ask<Record<string, unknown>>(server, `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(userId)}`, 'Profile not found');
    const profile = Object.fromEntries(Object.entries(json).filter(([key, value]) => key.length <= 255 && (!['displayname', 'avatar_url'].includes(key) || typeof value === 'string')));
    this.profiles.set(userId, profile);
    return profile;
  }

  /** The room a remote alias names, and the servers to join it through. */
  async alias(alias: string): Promise<{ room_id: string; servers: string[] }> {
    const server = serverNameOf(alias as RoomAlias)!;
    const json = await this.ask<{ room_id?: unknown; servers?: unknown }>(server, `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent(alias)}`, `Room alias ${alias} not found`);
    if (typeof json.room_id !== 'string') throw new MatrixError('M_NOT_FOUND', `Room alias ${alias} not found`);
    const servers = Array.isArray(json.servers) ? json.servers.filter((name): name is string => typeof name === 'string' && isServerName(name)) : [];
    return { room_id: json.room_id, servers: servers.length > 0 ? servers : [server] };
  }

  /** Another server's public room directory (POST /publicRooms), the rooms as its directory lists them. */
  async publicRooms(server: string, query: { limit?: number; since?: string; filter?: JsonObject; include_all_networks?: boolean; third_party_instance_id?: string }): Promise<JsonObject> {
    if (!isServerName(server)) throw new MatrixError('M_INVALID_PARAM', 'Invalid server name');
    const body = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as JsonObject;
    const json = await this.ask<{ chunk?: unknown; next_batch?: unknown; prev_batch?: unknown; total_room_count_estimate?: unknown }>(server, '/_matrix/federation/v1/publicRooms', 'No room directory there', body);
    const chunk = Array.isArray(json.chunk) ? json.chunk.filter((room): room is JsonObject => isJsonObject(room) && typeof room.room_id === 'string' && typeof room.num_joined_members === 'number') : [];
    return {
      chunk,
      ...(typeof json.next_batch === 'string' ? { next_batch: json.next_batch } : {}),
      ...(typeof json.prev_batch === 'string' ? { prev_batch: json.prev_batch } : {}),
      ...(typeof json.total_room_count_estimate === 'number' ? { total_room_count_estimate: json.total_room_count_estimate } : {}),
    };
  }

  /** How one of `servers` describes a room of a space and its children (GET /hierarchy), checked for shape. */
  async hierarchy(roomId: string, servers: readonly string[], suggestedOnly: boolean): Promise<{ room: RoomChunk; children: RoomChunk[] } | undefined> {
    for (const server of servers.filter(isServerName).slice(0, 3)) {
      try {
        const json = await this.ask<{ room?: unknown; children?: unknown }>(server, `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=${suggestedOnly}`, 'Unknown room');
        if (!isRoomChunk(json.room) || json.room.room_id !== roomId) continue;
        const children = Array.isArray(json.children) ? json.children.filter(isRoomChunk) : [];
        return { room: json.room, children };
      } catch {
        // The next server of the child's `via` may know it.
      }
    }
    return undefined;
  }

  private async ask<T extends object>(server: string, path: string, notFound: string, body?: JsonObject): Promise<T> {
    let json: unknown;
    try {
      json = (await this.requester.request<unknown>(body ? { method: 'POST', destination: server, path, body } : { method: 'GET', destination: server, path })).json;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) throw new MatrixError('M_NOT_FOUND', notFound);
      if (status === 403) throw new MatrixError('M_FORBIDDEN', `${server} does not share this`);
      throw new MatrixError('M_UNKNOWN', `${server} could not be asked`, { status: 502 });
    }
    if (!isJsonObject(json)) throw new MatrixError('M_UNKNOWN', `${server} answered with something else than an object`, { status: 502 });
    return json as T;
  }
}

function isRoomChunk(value: unknown): value is RoomChunk {
  return isJsonObject(value) && typeof value.room_id === 'string' && typeof value.num_joined_members === 'number' && Array.isArray(value.children_state) && value.children_state.every(isJsonObject);
}
