/**
 * Reading relationships (client-server-api "Relationships API": GET /relations; threading "Querying
 * threads in a room": GET /threads) and the checks on relations sent by local users (threading
 * "Validation of m.thread relationships"; event_annotations "Avoiding duplicate annotations").
 *
 * Both reads are for users who may read the room (403 otherwise, as /messages), show only the events
 * history visibility lets the user see, and page by stream positions with /messages' tokens: "s42"
 * sits after the event at position 42. A /sync `next_batch` is accepted as `from` as well.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { redactEvent } from '../../core/events/redact.ts';
import { relationOf } from '../../core/events/relations.ts';
import type { EventId, RoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import { parseSyncToken } from '../sync/sync-token.ts';
import type { ClientEvents } from './client-events.ts';
import type { EventStore, LocalEvent } from './event-store.ts';
import type { HistoryVisibility } from './history-visibility.ts';
import type { IgnoredUsers } from './ignored-users.ts';
import type { Membership, RoomStates } from './room-states.ts';
import { encodeStreamToken, historyFloor, maxPageSize, parseStreamToken, type RoomReads } from './room-reads.ts';

export interface RelationsRequest {
  relType?: string;
  eventType?: string;
  from?: string;
  to?: string;
  dir: 'f' | 'b';
  limit: number;
  recurse?: boolean;
}

export interface ThreadsRequest {
  include: 'all' | 'participated';
  from?: string;
  limit: number;
}

/** relations.yaml `recurse`: "Homeservers SHOULD traverse at least 3 levels of relationships" (Synapse: 3). */
export const recursionDepth = 3;

const topOfTimeline = Number.MAX_SAFE_INTEGER;

export class Relations {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly roomReads: RoomReads,
    private readonly visibility: HistoryVisibility,
    private readonly ignoredUsers: IgnoredUsers,
    private readonly clientEvents: ClientEvents,
  ) {}

  /** GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]: the parent's children, newest first by default. */
  async relations(requester: Requester, roomId: RoomId, parentId: string, request: RelationsRequest): Promise<JsonObject> {
    const membership = await this.requireReader(requester, roomId);
    const parent = await this.eventStore.localEvent(parentId);
    // relations.yaml 404: "not found or the user does not have permission to read this event".
    if (!parent || parent.event.roomId !== roomId || parent.rejected || !(await this.visibility.canSee(requester.userId, parent, membership))) {
      throw new MatrixError('M_NOT_FOUND', 'Event not found');
    }
    const from = request.from === undefined ? undefined : parsePaginationToken(request.from);
    const to = request.to === undefined ? undefined : parsePaginationToken(request.to);
    const limit = Math.min(Math.max(request.limit, 1), maxPageSize);
    const [after, upTo] = request.dir === 'b' ? [to ?? historyFloor, from ?? topOfTimeline] : [from ?? historyFloor, to ?? topOfTimeline];
    const rows = await this.storage.eventRelations.page({
      parentId,
      roomId,
      relType: request.relType,
      eventType: request.eventType,
      after,
      upTo,
      dir: request.dir,
      limit,
      depth: request.recurse ? recursionDepth : 1,
    });
    const chunk = await this.visibleEvents(requester, rows.map((row) => row.eventId), membership);
    const response: JsonObject = { chunk: await this.clientEvents.format(requester, chunk) };
    const last = rows.at(-1);
    if (rows.length === limit && last) response.next_batch = encodeStreamToken(request.dir === 'b' ? last.streamPosition - 1 : last.streamPosition);
    if (request.from !== undefined) response.prev_batch = request.from;
    if (request.recurse !== undefined) response.recursion_depth = request.recurse ? recursionDepth : 0;
    return response;
  }

  /**
   * GET /rooms/{roomId}/threads: the thread roots by latest reply, newest first. threads_list.yaml:
   * "If the thread root event was sent by an ignored user, the event is returned redacted".
   */
  async threads(requester: Requester, roomId: RoomId, request: ThreadsRequest): Promise<JsonObject> {
    const membership = await this.requireReader(requester, roomId);
    if (request.limit < 1) throw new MatrixError('M_INVALID_PARAM', 'limit must be greater than zero');
    const limit = Math.min(request.limit, maxPageSize);
    const rows = await this.storage.eventRelations.threads(roomId, {
      upTo: request.from === undefined ? undefined : parsePaginationToken(request.from),
      participant: request.include === 'participated' ? requester.userId : undefined,
      limit,
    });
    const stored = await this.eventStore.localEvents(rows.map((row) => row.threadId));
    const roots = rows.flatMap((row) => stored.get(row.threadId as EventId) ?? []).filter((local) => local.event.roomId === roomId && !local.rejected);
    const visible = (await this.visibility.filter(requester.userId, roots, membership)).map((local) => local.event);
    const chunk = await this.clientEvents.format(requester, visible);
    const ignored = await this.ignoredUsers.of(requester.userId);
    if (visible.some((root) => ignored.has(root.sender))) {
      const rules = await this.eventStore.roomRules(roomId);
      visible.forEach((root, i) => {
        if (ignored.has(root.sender)) chunk[i]!.content = redactEvent(root.pdu, rules).content!;
      });
    }
    const last = rows.at(-1);
    return { chunk, ...(rows.length === limit && last ? { next_batch: encodeStreamToken(last.latestPosition - 1) } : {}) };
  }

  /**
   * Refuses a relation a local user may not send: to an event of another room, a thread started from
   * an event that is itself a relation (threading "Validation of m.thread relationships": 400
   * M_UNKNOWN), or the same annotation twice (400 M_DUPLICATE_ANNOTATION).
   */
  async checkNewRelation(roomId: RoomId, sender: string, type: string, content: JsonObject): Promise<void> {
    const relation = relationOf(content);
    if (!relation) return;
    const parent = await this.eventStore.localEvent(relation.eventId);
    if (parent && parent.event.roomId !== roomId) throw new MatrixError('M_INVALID_PARAM', 'Relations must be to an event of the same room');
    if (relation.relType === 'm.thread' && parent && relationOf(parent.event.content) !== undefined) {
      throw new MatrixError('M_UNKNOWN', 'Cannot start a thread from an event with a relation', { status: 400 });
    }
    if (relation.relType === 'm.annotation' && relation.key !== undefined && (await this.storage.eventRelations.hasAnnotation(relation.eventId, sender, type, relation.key))) {
      throw new MatrixError('M_DUPLICATE_ANNOTATION', 'You have already sent this annotation');
    }
  }

  /** The user's membership, if they may read the room: a member now or before, or a world-readable room. */
  private async requireReader(requester: Requester, roomId: RoomId): Promise<Membership | undefined> {
    const { membership } = await this.roomReads.membershipOf(requester.userId, roomId);
    if (membership !== undefined) return membership;
    const visibility = await this.roomStates.currentEvent(roomId, 'm.room.history_visibility', '');
    if (visibility?.content.history_visibility !== 'world_readable') throw new MatrixError('M_FORBIDDEN', 'You are not a member of this room');
    return undefined;
  }

  /** The events among `ids` the user may see (history visibility, ignored users), in the same order. */
  private async visibleEvents(requester: Requester, ids: readonly string[], membership: Membership | undefined) {
    const stored = await this.eventStore.localEvents(ids);
    const events: LocalEvent[] = ids.flatMap((id) => stored.get(id as EventId) ?? []);
    const visible = await this.visibility.filter(requester.userId, events, membership);
    return this.ignoredUsers.filter(requester.userId, visible.map((local) => local.event));
  }
}

/** A /messages token ("s42"), or a /sync `next_batch` (its events stream position). */
function parsePaginationToken(token: string): number {
  if (token.startsWith('s')) return parseStreamToken(token);
  try {
    return parseSyncToken(token).events;
  } catch {
    throw new MatrixError('M_INVALID_PARAM', `Invalid pagination token ${JSON.stringify(token)}`);
  }
}
