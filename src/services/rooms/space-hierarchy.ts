/**
 * Spaces (client-server-api "Spaces": GET /v1/rooms/{roomId}/hierarchy; server-server-api "Spaces":
 * GET /v1/hierarchy/{roomId}). A space's children are its m.space.child state events with a `via`;
 * the tree is walked depth first from the space, each room summarised from its current state (or,
 * for a room this server is not in, as a server of the child's `via` describes it), and only rooms the
 * asker may see or join are shown.
 */
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf, type RoomEvent } from '../../core/events/pdu.ts';
import { serverNameOf, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import type { RoomStates, StateMap } from './room-states.ts';
import type { RoomSummaries } from './room-summary.ts';

export type RoomChunk = JsonObject & { room_id: string; children_state: JsonObject[] };

/** How another server describes a room of a space (its federation /hierarchy answer). */
export interface RemoteHierarchy {
  hierarchy(roomId: string, servers: readonly string[], suggestedOnly: boolean): Promise<{ room: RoomChunk; children: RoomChunk[] } | undefined>;
}

const maxLimit = 50;

export class SpaceHierarchy {
  constructor(
    private readonly roomStates: RoomStates,
    private readonly summaries: RoomSummaries,
    private readonly serverName: string,
    private readonly remote?: RemoteHierarchy,
  ) {}

  /** The client's view: a page of the tree, depth first, from `from` (an offset from an earlier page). */
  async forUser(userId: string, rootId: RoomId, options: { suggestedOnly: boolean; maxDepth?: number; limit?: number; from?: string }): Promise<{ rooms: RoomChunk[]; next_batch?: string }> {
    const offset = options.from === undefined ? 0 : parseToken(options.from, options);
    const limit = Math.min(Math.max(options.limit ?? maxLimit, 1), maxLimit);
    if (!(await this.known(rootId)) || !(await this.userMaySee(userId, rootId))) throw new MatrixError('M_FORBIDDEN', 'You cannot see this space');
    const rooms: RoomChunk[] = [];
    const seen = new Set<string>();
    // Rooms described by other servers while walking, by room ID.
    const described = new Map<string, RoomChunk>();
    const walk = async (roomId: string, via: readonly string[], depth: number): Promise<void> => {
      if (seen.has(roomId) || rooms.length >= offset + limit + 1) return;
      seen.add(roomId);
      let chunk: RoomChunk | undefined;
      if (await this.known(roomId)) {
        if (await this.userMaySee(userId, roomId as RoomId)) chunk = await this.chunk(roomId as RoomId);
      } else {
        chunk = described.get(roomId) ?? (await this.describedRemotely(roomId, via, options.suggestedOnly, described));
      }
      if (!chunk) return;
      rooms.push(chunk);
      if (options.maxDepth !== undefined && depth >= options.maxDepth) return;
      for (const child of childrenOf(chunk, options.suggestedOnly)) await walk(child.roomId, child.via, depth + 1);
    };
    await walk(rootId, [this.serverName], 0);
    const page = rooms.slice(offset, offset + limit);
    return rooms.length > offset + limit ? { rooms: page, next_batch: encodeToken(offset + limit, options) } : { rooms: page };
  }

  /** Another server's view (federation /hierarchy): the room, its children this server can describe, and those it cannot. */
  async forServer(origin: string, roomId: RoomId, suggestedOnly: boolean): Promise<{ room: RoomChunk; children: RoomChunk[]; inaccessible_children: string[] }> {
    if (!(await this.known(roomId)) || !(await this.serverMaySee(origin, roomId))) throw new MatrixError('M_NOT_FOUND', 'Unknown room');
    const room = await this.chunk(roomId);
    const children: RoomChunk[] = [];
    const inaccessible: string[] = [];
    for (const child of childrenOf(room, suggestedOnly)) {
      if (!(await this.known(child.roomId))) continue;
      if (await this.serverMaySee(origin, child.roomId as RoomId)) children.push(await this.chunk(child.roomId as RoomId));
      else inaccessible.push(child.roomId);
    }
    return { room, children, inaccessible_children: inaccessible };
  }

  /** A room's summary (definitions/room_summary.yaml) with its children_state. */
  async chunk(roomId: RoomId): Promise<RoomChunk> {
    const { state } = await this.roomStates.currentState(roomId);
    const children = await this.childEvents(state);
    return {
      ...(await this.summaries.summarise(roomId)),
      children_state: children.map((child) => ({ type: child.type, state_key: child.stateKey!, content: child.content, sender: child.sender, origin_server_ts: child.originServerTs })),
    };
  }

  private async childEvents(state: StateMap): Promise<RoomEvent[]> {
    const keys = [...state.keys()].filter((key) => key.startsWith('m.space.child\u0000'));
    const events = await this.roomStates.events(state, keys);
    return [...events.values()].filter((event) => Array.isArray(event.content.via) && event.content.via.length > 0);
  }

  private known(roomId: string): Promise<boolean> {
    return this.summaries.known(roomId);
  }

  /** client-server-api "GET /hierarchy": the rooms the user may see, as for a room summary. */
  private async userMaySee(userId: string, roomId: RoomId): Promise<boolean> {
    return this.summaries.userMaySee(userId, await this.summaries.summarise(roomId), await this.roomStates.membership(roomId, userId));
  }

  private async serverMaySee(origin: string, roomId: RoomId): Promise<boolean> {
    const chunk = await this.chunk(roomId);
    if (chunk.world_readable === true || ['public', 'knock', 'knock_restricted', 'restricted'].includes(String(chunk.join_rule))) return true;
    return [...(await this.roomStates.joinedMembers(roomId))].some((member) => serverNameOf(member as UserId) === origin);
  }

  private async describedRemotely(roomId: string, via: readonly string[], suggestedOnly: boolean, described: Map<string, RoomChunk>): Promise<RoomChunk | undefined> {
    const servers = via.filter((server) => server !== this.serverName);
    if (!this.remote || servers.length === 0) return undefined;
    const answer = await this.remote.hierarchy(roomId, servers, suggestedOnly).catch(() => undefined);
    if (!answer) return undefined;
    for (const child of answer.children) described.set(child.room_id, child);
    return answer.room;
  }
}

/** The children of a room chunk: (room ID, via), suggested ones only when asked, in state key order. */
function childrenOf(chunk: RoomChunk, suggestedOnly: boolean): Array<{ roomId: string; via: string[] }> {
  return chunk.children_state
    .filter((child) => typeof child.state_key === 'string' && isJsonObject(child.content) && Array.isArray(child.content.via) && (!suggestedOnly || child.content.suggested === true))
    .map((child) => ({ roomId: child.state_key as string, via: ((child.content as JsonObject).via as unknown[]).filter((server): server is string => typeof server === 'string') }))
    .sort((a, b) => (a.roomId < b.roomId ? -1 : 1));
}

/** Pagination tokens remember the filters, which may not change between pages (M_INVALID_PARAM). */
function encodeToken(offset: number, options: { suggestedOnly: boolean; maxDepth?: number }): string {
  return `${offset}_${options.suggestedOnly ? 1 : 0}_${options.maxDepth ?? ''}`;
}

function parseToken(token: string, options: { suggestedOnly: boolean; maxDepth?: number }): number {
  const match = /^(\d{1,9})_([01])_(\d*)$/.exec(token);
  if (!match) throw new MatrixError('M_INVALID_PARAM', 'Invalid pagination token');
  if (match[2] !== (options.suggestedOnly ? '1' : '0') || match[3] !== String(options.maxDepth ?? '')) {
    throw new MatrixError('M_INVALID_PARAM', 'suggested_only and max_depth cannot change on paginated requests');
  }
  return Number(match[1]);
}
