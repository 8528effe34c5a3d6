/**
 * Joining a room this server is not in (server-server-api "Joining Rooms", the joining server's side):
 * make_join to a server of the room for a template, the join built from it and signed here, send_join
 * (v2) for the room's state before the join and its auth chain. Nothing in the answer is trusted: every
 * event is checked for format, signatures and hashes, then against its auth events in auth order, and
 * the join against the state. The state and auth chain are stored as outliers, the room's current
 * state is the state before the join, and the join enters the timeline as a received event would.
 */
import { authStateFromEvents } from '../../../core/auth/auth-events.ts';
import { checkEventAuth } from '../../../core/auth/check-event-auth.ts';
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { SigningKey } from '../../../core/crypto/signing-key.ts';
import { MatrixError } from '../../../core/errors.ts';
import { buildEvent, type EventReference } from '../../../core/events/build-event.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { stateKeyOf, toRoomEvent, type RoomEvent, type StateKey } from '../../../core/events/pdu.ts';
import { serverNameOf, type EventId, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import { getRoomVersion, isSupportedRoomVersion, supportedRoomVersions } from '../../../core/room-versions/known-versions.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { createEventIdOf } from '../../../core/state-resolution/auth-state.ts';
import type { FederationRequest } from '../../../federation-client/federation-client.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { Timeline } from '../../rooms/timeline.ts';
import { checkFetchedEvents, storeOutliers, type CheckedEvent } from '../inbound-pdu/check-fetched-events.ts';
import { adoptSignature, type ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';

export interface JoinRequester {
  request<T>(request: FederationRequest): Promise<{ status: number; json: T }>;
}

export class RemoteJoiner {
  constructor(
    private readonly storage: Storage,
    private readonly timeline: Timeline,
    private readonly requester: JoinRequester,
    private readonly keys: ServerKeyLookup,
    private readonly signing: { serverName: string; key: SigningKey },
    private readonly clock: () => number,
  ) {}

  /** Joins `userId` to `roomId` through the first of `servers` that lets it in. */
  async join(userId: string, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<EventId> {
    const candidates = [...new Set(servers)].filter((server) => server !== this.signing.serverName);
    if (candidates.length === 0) throw new MatrixError('M_NOT_FOUND', 'No known servers to join the room through');
    let lastError: unknown;
    for (const server of candidates) {
      try {
        return await this.joinThrough(server, userId, roomId, content);
      } catch (error) {
        lastError = toClientError(error, server);
        // The resident said no: another server of the room would say the same.
        if (error instanceof MatrixError && error.errcode === 'M_FORBIDDEN') throw error;
      }
    }
    if (lastError instanceof MatrixError) throw lastError;
    throw new MatrixError('M_UNKNOWN', `Could not join the room through ${candidates.join(', ')}`, { status: 502 });
  }

  private async joinThrough(server: string, userId: string, roomId: RoomId, content: JsonObject): Promise<EventId> {
    const versions = supportedRoomVersions.map((version) => `ver=${encodeURIComponent(version)}`).join('&');
    const made = await this.requester.request<{ event?: unknown; room_version?: unknown }>({
      method: 'GET',
      destination: server,
      path: `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}?${versions}`,
    });
    const version = typeof made.json.room_version === 'string' ? made.json.room_version : '1';
    if (!isSupportedRoomVersion(version)) throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', `The room has version ${version}, which this server does not support`);
    const rules = getRoomVersion(version);
    const template = made.json.event;
    if (!isJsonObject(template) || template.room_id !== roomId || template.sender !== userId || template.state_key !== userId || template.type !== 'm.room.member') {
      throw new MatrixError('M_UNKNOWN', `${server} answered make_join with an unusable template`, { status: 502 });
    }
    let join = buildEvent(
      {
        rules,
        roomId,
        type: 'm.room.member',
        stateKey: userId,
        sender: userId as UserId,
        content: { ...(isJsonObject(template.content) ? template.content : {}), ...content, membership: 'join' },
        prevEvents: references(template.prev_events),
        authEvents: references(template.auth_events),
        depth: typeof template.depth === 'number' ? template.depth : 1,
        originServerTs: this.clock(),
      },
      this.signing,
    ).event;
    const sent = await this.requester.request<{ state?: unknown; auth_chain?: unknown }>({
      method: 'PUT',
      destination: server,
      path: `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(join.eventId)}`,
      body: join.pdu,
    });
    // A restricted room's resident vouched for the join: its signature comes back on the event.
    join = await this.withAuthorisingSignature(join, (sent.json as { event?: unknown }).event, rules);
    const stateEvents = Array.isArray(sent.json.state) ? sent.json.state : [];
    const authChain = Array.isArray(sent.json.auth_chain) ? sent.json.auth_chain : [];
    // Checked as any fetched events are: format, signatures, hashes, then in auth order against their auth events.
    const checked = await checkFetchedEvents([...authChain, ...stateEvents], roomId, rules, this.keys);
    const state = new Map<StateKey, EventId>();
    for (const json of stateEvents) {
      const eventId = isJsonObject(json) ? this.eventIdOf(json, rules) : undefined;
      const entry = eventId === undefined ? undefined : checked.get(eventId);
      if (entry && entry.rejectedReason === null && entry.event.stateKey !== undefined) state.set(stateKeyOf(entry.event.type, entry.event.stateKey), entry.event.eventId);
    }
    const createId = createEventIdOf(roomId, rules) ?? state.get(stateKeyOf('m.room.create', ''));
    const create = createId === undefined ? undefined : checked.get(createId)?.event;
    if (!create || create.type !== 'm.room.create' || create.content.room_version !== undefined && create.content.room_version !== version) {
      throw new MatrixError('M_UNKNOWN', `${server} answered send_join without the room's create event`, { status: 502 });
    }
    const authState = authStateFromEvents([...state.values()].flatMap((id) => checked.get(id)?.event ?? []), create);
    const verdict = checkEventAuth(join, authState, rules);
    if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', `The room's state does not allow this join: ${verdict.reason}`);
    await this.store(roomId, rules, create, checked, state, join);
    return join.eventId;
  }

  /** Stores the room, its state and auth chain as outliers, the state as current, and the join through the timeline. */
  private async store(roomId: RoomId, rules: RoomVersionRules, create: RoomEvent, checked: Map<EventId, CheckedEvent>, state: Map<StateKey, EventId>, join: RoomEvent): Promise<void> {
    const group = await this.storage.transaction(async (tx) => {
      if (!(await tx.roomEvents.room(roomId))) {
        await tx.roomEvents.createRoom({ roomId, roomVersion: rules.id, creator: create.sender, isPublic: false, createdTs: this.clock(), currentStateGroup: null });
      }
      await storeOutliers(tx, checked.values());
      const groupId = await tx.stateGroups.create(roomId, state);
      await tx.roomEvents.applyCurrentStateChanges(
        roomId,
        [...state.values()].map((eventId) => {
          const event = checked.get(eventId)!.event;
          return { type: event.type, stateKey: event.stateKey!, eventId, membership: event.type === 'm.room.member' ? String(event.content.membership) : null };
        }),
      );
      await tx.roomEvents.setCurrentStateGroup(roomId, groupId);
      // The join's prev events are the room's forward extremities as this server first sees it.
      await tx.roomEvents.replaceForwardExtremities([], join.prevEventIds.map((eventId) => ({ roomId, eventId })));
      return groupId;
    });
    const { appended, softFailed } = await this.timeline.appendReceived(join, { group, state }, null);
    if (!appended) throw new MatrixError('M_FORBIDDEN', softFailed ? 'The join was not allowed by the room state' : 'The join was rejected');
  }

  /**
   * The join with the signature of the server its `join_authorised_via_users_server` belongs to, taken
   * from `returned` and checked over our own event (nothing else of what came back is used).
   */
  private async withAuthorisingSignature(join: RoomEvent, returned: unknown, rules: RoomVersionRules): Promise<RoomEvent> {
    const via = join.content.join_authorised_via_users_server;
    const server = typeof via === 'string' ? serverNameOf(via as UserId) : undefined;
    if (!server || server === this.signing.serverName) return join;
    return (await adoptSignature(join, returned, server, rules, this.keys)) ?? join;
  }

  private eventIdOf(json: JsonObject, rules: RoomVersionRules): EventId | undefined {
    try {
      return toRoomEvent(checkPduFormat(json, rules), rules).eventId;
    } catch {
      return undefined;
    }
  }
}

/**
 * A failure of a request to another server, as the client should see it (DESIGN "Federation": remote
 * errors are mapped, never relayed blindly): the room refusing the join stays a refusal, a room the
 * server does not have stays not found, anything else is the other server failing.
 */
function toClientError(error: unknown, server: string): unknown {
  if (error instanceof MatrixError) return error;
  const remote = error as { status?: number; errcode?: string; error?: string };
  if (remote.status === 403) return new MatrixError('M_FORBIDDEN', `${server} refused the join${remote.error ? `: ${remote.error}` : ''}`);
  if (remote.status === 404) return new MatrixError('M_NOT_FOUND', `${server} does not know the room`);
  if (remote.errcode === 'M_INCOMPATIBLE_ROOM_VERSION') return new MatrixError('M_UNSUPPORTED_ROOM_VERSION', `The room's version is not supported here`);
  return new MatrixError('M_UNKNOWN', `Could not join the room through ${server}`, { status: 502 });
}

/** The prev_events / auth_events of a template: IDs (v3+), or [ID, hashes] pairs (v1, v2). */
export function references(value: unknown): EventReference[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): EventReference[] => {
    if (typeof item === 'string') return [item as EventId];
    if (Array.isArray(item) && typeof item[0] === 'string' && isJsonObject(item[1]) && typeof item[1].sha256 === 'string') return [{ eventId: item[0] as EventId, referenceHash: item[1].sha256 }];
    return [];
  });
}
