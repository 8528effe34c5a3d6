/**
 * The handshakes by which a user of this server knocks on, or leaves, a room this server is not in
 * (server-server-api "Knocking upon a room", "Leaving Rooms (Rejecting Invites)"), like a join
 * (RemoteJoiner): make_knock / make_leave to a resident server for a template, checked as the spec
 * asks ("the response MUST be treated as malformed and discarded" unless room, sender, state_key, type
 * and membership are those asked for), the event built from it and signed here, then send_knock (v1)
 * / send_leave (v2). Nothing is stored here: the caller keeps what it needs.
 *
 * A knock is answered with the room's stripped state; the spec (v1.16) has it as full events of the
 * room's version, and "entries which are improperly signed or formatted SHOULD be removed", so each is
 * checked for format, room and signatures before it is kept in its stripped form.
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { SigningKey } from '../../../core/crypto/signing-key.ts';
import { MatrixError } from '../../../core/errors.ts';
import { buildEvent } from '../../../core/events/build-event.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toStrippedStateEvent, type StrippedStateEvent } from '../../../core/events/client-event.ts';
import { toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import type { RoomId, UserId } from '../../../core/ids/identifiers.ts';
import { getRoomVersion, isSupportedRoomVersion, supportedRoomVersions } from '../../../core/room-versions/known-versions.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { checkSignatures, type ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';
import { references, type JoinRequester } from './remote-join.ts';

export type RemoteMembershipKind = 'knock' | 'leave';

export interface RemoteMembershipEvent {
  event: RoomEvent;
  rules: Readonly<RoomVersionRules>;
  /** The server that took the event in. */
  server: string;
}

/** A knock never carries more stripped state than this (the resident server chooses what it sends). */
const maxKnockState = 50;

export class RemoteMembership {
  constructor(
    private readonly requester: JoinRequester,
    private readonly keys: ServerKeyLookup,
    private readonly signing: { serverName: string; key: SigningKey },
    private readonly clock: () => number,
  ) {}

  /** Knocks on `roomId` through the first of `servers` that takes the knock; returns it and the room's stripped state. */
  async knock(userId: string, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<RemoteMembershipEvent & { knockState: StrippedStateEvent[] }> {
    return this.throughFirst(servers, 'knock', async (server) => {
      const { event, rules, answer } = await this.handshake(server, 'knock', userId, roomId, content);
      const state = Array.isArray(answer.knock_room_state) ? answer.knock_room_state.slice(0, maxKnockState) : [];
      return { event, rules, server, knockState: await this.checkedStrippedState(state, roomId, rules) };
    });
  }

  /** Leaves `roomId` (rejects an invite, retracts a knock) through the first of `servers` that takes the leave. */
  async leave(userId: string, roomId: RoomId, servers: readonly string[], content: JsonObject): Promise<RemoteMembershipEvent> {
    return this.throughFirst(servers, 'leave', async (server) => {
      const { event, rules } = await this.handshake(server, 'leave', userId, roomId, content);
      return { event, rules, server };
    });
  }

  private async throughFirst<T>(servers: readonly string[], kind: RemoteMembershipKind, attempt: (server: string) => Promise<T>): Promise<T> {
    const candidates = [...new Set(servers)].filter((server) => server !== this.signing.serverName);
    if (candidates.length === 0) throw new MatrixError('M_NOT_FOUND', `No known servers to ${kind} the room through`);
    let lastError: unknown;
    for (const server of candidates) {
      try {
        return await attempt(server);
      } catch (error) {
        lastError = toClientError(error, server, kind);
        // The resident said no: another server of the room would say the same.
        if (lastError instanceof MatrixError && (lastError.errcode === 'M_FORBIDDEN' || lastError.errcode === 'M_INCOMPATIBLE_ROOM_VERSION')) throw lastError;
      }
    }
    throw lastError;
  }

  /** make_{kind}, the event built from its template and signed here, send_{kind}; the answer of send_{kind}. */
  private async handshake(server: string, kind: RemoteMembershipKind, userId: string, roomId: RoomId, content: JsonObject): Promise<{ event: RoomEvent; rules: Readonly<RoomVersionRules>; answer: JsonObject }> {
    const room = encodeURIComponent(roomId);
    // knocks.yaml: `ver` is required for make_knock; make_leave takes none.
    const query = kind === 'knock' ? `?${supportedRoomVersions.map((version) => `ver=${encodeURIComponent(version)}`).join('&')}` : '';
    const made = await this.requester.request<{ event?: unknown; room_version?: unknown }>({
      method: 'GET',
      destination: server,
      path: `/_matrix/federation/v1/make_${kind}/${room}/${encodeURIComponent(userId)}${query}`,
    });
    // leaving-v1.yaml: "If not provided, the room version is assumed to be either '1' or '2'."
    const version = typeof made.json.room_version === 'string' ? made.json.room_version : kind === 'leave' ? '1' : undefined;
    if (version === undefined || !isSupportedRoomVersion(version)) throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', `The room has version ${String(version)}, which this server does not support`);
    const rules = getRoomVersion(version);
    const template = made.json.event;
    const templateContent = isJsonObject(template) && isJsonObject(template.content) ? template.content : undefined;
    if (!isJsonObject(template) || template.room_id !== roomId || template.sender !== userId || template.state_key !== userId || template.type !== 'm.room.member' || templateContent?.membership !== kind) {
      throw new MatrixError('M_UNKNOWN', `${server} answered make_${kind} with an unusable template`, { status: 502 });
    }
    const { event } = buildEvent(
      {
        rules,
        roomId,
        type: 'm.room.member',
        stateKey: userId,
        sender: userId as UserId,
        content: { ...templateContent, ...content, membership: kind },
        prevEvents: references(template.prev_events),
        authEvents: references(template.auth_events),
        depth: typeof template.depth === 'number' ? template.depth : 1,
        originServerTs: this.clock(),
      },
      this.signing,
    );
    const path = kind === 'knock' ? `/_matrix/federation/v1/send_knock/${room}` : `/_matrix/federation/v2/send_leave/${room}`;
    const sent = await this.requester.request<unknown>({ method: 'PUT', destination: server, path: `${path}/${encodeURIComponent(event.eventId)}`, body: event.pdu });
    return { event, rules, answer: isJsonObject(sent.json) ? sent.json : {} };
  }

  /** The entries of knock_room_state that are events of this room, properly signed, in their stripped form. */
  private async checkedStrippedState(entries: readonly unknown[], roomId: RoomId, rules: Readonly<RoomVersionRules>): Promise<StrippedStateEvent[]> {
    const kept: StrippedStateEvent[] = [];
    for (const json of entries) {
      let event: RoomEvent;
      try {
        event = toRoomEvent(checkPduFormat(json, rules), rules);
      } catch {
        continue;
      }
      if (event.roomId !== roomId || event.stateKey === undefined) continue;
      if ((await checkSignatures(event, rules, this.keys)) !== null) continue;
      kept.push(toStrippedStateEvent(event));
    }
    return kept;
  }
}

/**
 * A failure of a request to another server, as the client should see it (DESIGN "Federation": remote
 * errors are mapped, never relayed blindly). knocks.yaml asks that M_INCOMPATIBLE_ROOM_VERSION "be
 * passed through to clients so that they may give better feedback to users".
 */
function toClientError(error: unknown, server: string, kind: RemoteMembershipKind): unknown {
  if (error instanceof MatrixError) return error;
  const remote = error as { status?: number; errcode?: string; error?: string };
  if (remote.errcode === 'M_INCOMPATIBLE_ROOM_VERSION') return new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', `The room's version is not supported here`);
  if (remote.status === 403) return new MatrixError('M_FORBIDDEN', `${server} refused the ${kind}${remote.error ? `: ${remote.error}` : ''}`);
  if (remote.status === 404) return new MatrixError('M_NOT_FOUND', `${server} does not know the room`);
  return new MatrixError('M_UNKNOWN', `Could not ${kind} the room through ${server}`, { status: 502 });
}
