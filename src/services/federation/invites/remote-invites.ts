/**
 * The invitee's server in server-server-api "Inviting to a room": PUT /v2/invite checks the invite the
 * inviting server built (format, signatures, a member event inviting a user of this server), signs it
 * too and answers with it. When this server is not in the room, the invite is kept (with the stripped
 * state the inviter sent) and numbered on the events stream so the user's /sync shows it under
 * `invite`; joining goes through the inviter's server, and a rejection is reported under `leave`.
 * Invites are held in memory per user once read: every /sync of the user asks.
 */
import { LRUCache } from 'lru-cache';
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { SigningKey } from '../../../core/crypto/signing-key.ts';
import { MatrixError } from '../../../core/errors.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../../core/events/pdu.ts';
import { addEventSignature } from '../../../core/events/signatures.ts';
import { serverNameOf, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { RemoteMembership } from '../joins/remote-membership.ts';
import { getRoomVersion, isSupportedRoomVersion } from '../../../core/room-versions/known-versions.ts';
import type { RemoteInvite } from '../../../storage/repositories/remote-invites.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { ServerEvents } from '../../server-events.ts';
import { checkSignatures, type ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';

export interface InviteRequest {
  room_version: string;
  event: JsonObject;
  invite_room_state?: unknown[];
}

export class RemoteInvites {
  private readonly byUser = new LRUCache<string, RemoteInvite[]>({ max: 10_000 });

  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly keys: ServerKeyLookup,
    private readonly signing: { serverName: string; key: SigningKey },
  ) {}

  /** PUT /v2/invite/{roomId}/{eventId} from `origin`: the invite signed by this server too. */
  async receive(origin: string, roomId: string, eventId: string, request: InviteRequest): Promise<{ event: JsonObject }> {
    if (!isSupportedRoomVersion(request.room_version)) {
      throw new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', `Room version ${request.room_version} is not supported here`, { extra: { room_version: request.room_version } });
    }
    const rules = getRoomVersion(request.room_version);
    let event: RoomEvent;
    try {
      event = toRoomEvent(checkPduFormat(request.event, rules), rules);
    } catch (error) {
      throw error instanceof MatrixError ? error : new MatrixError('M_BAD_JSON', 'Not a valid event');
    }
    if (event.eventId !== eventId || event.roomId !== roomId) throw new MatrixError('M_BAD_JSON', 'The event does not match the room and event IDs of the request');
    if (event.type !== 'm.room.member' || event.content.membership !== 'invite' || event.stateKey === undefined) throw new MatrixError('M_BAD_JSON', 'Not an invite');
    if (serverNameOf(event.stateKey as UserId) !== this.signing.serverName) throw new MatrixError('M_FORBIDDEN', 'The invitee is not a user of this server');
    if (serverNameOf(event.sender as UserId) !== origin) throw new MatrixError('M_FORBIDDEN', 'A server may only send the invites of its own users');
    if (!(await this.storage.users.exists(event.stateKey))) throw new MatrixError('M_NOT_FOUND', 'No such user');
    const unsigned = await checkSignatures(event, rules, this.keys);
    if (unsigned) throw new MatrixError('M_FORBIDDEN', `The invite is not signed properly: ${unsigned}`);
    const signed = addEventSignature(event.pdu, rules, this.signing.serverName, this.signing.key);

    // In the room already, the invite arrives with the room's other events.
    if (!(await this.storage.roomEvents.room(roomId))) {
      const inviteState = (request.invite_room_state ?? []).filter(isJsonObject).slice(0, 50);
      const position = await this.storage.transaction(async (tx) => {
        const next = await tx.streamCounters.nextPosition('events');
        await tx.remoteInvites.put({ userId: event.stateKey!, roomId, eventId, roomVersion: rules.id, event: signed, inviteState, membership: 'invite', streamPosition: next });
        return next;
      });
      this.byUser.delete(event.stateKey);
      this.events.emit('roomEvent', { roomId, eventId, position, userIds: [event.stateKey], membershipOf: event.stateKey });
    }
    return { event: signed };
  }

  /** The user's invites to rooms this server is not in (and rejections not yet reported). */
  async forUser(userId: string): Promise<readonly RemoteInvite[]> {
    let invites = this.byUser.get(userId);
    if (!invites) this.byUser.set(userId, (invites = await this.storage.remoteInvites.forUser(userId)));
    return invites;
  }

  /** The servers to join the room through: the inviter's. */
  async serversFor(userId: string, roomId: string): Promise<string[]> {
    const invite = (await this.forUser(userId)).find((candidate) => candidate.roomId === roomId);
    const sender = invite && typeof invite.event.sender === 'string' ? serverNameOf(invite.event.sender as UserId) : undefined;
    return sender ? [sender] : [];
  }

  /** The user joined the room (it is known here now): the invite is done with. */
  async joined(userId: string, roomId: string): Promise<void> {
    await this.storage.remoteInvites.remove(userId, roomId);
    this.byUser.delete(userId);
  }

  /**
   * Rejects the invite (server-server-api "Leaving Rooms (Rejecting Invites)"): a leave through the
   * inviter's server; /sync then reports the room under `leave`. False when there is no such invite.
   */
  async reject(userId: string, roomId: string, content: JsonObject, membership: RemoteMembership): Promise<boolean> {
    const invite = (await this.forUser(userId)).find((candidate) => candidate.roomId === roomId && candidate.membership === 'invite');
    if (!invite) return false;
    const { event } = await membership.leave(userId, roomId as RoomId, await this.serversFor(userId, roomId), content);
    const position = await this.storage.transaction(async (tx) => {
      const next = await tx.streamCounters.nextPosition('events');
      await tx.remoteInvites.put({ ...invite, eventId: event.eventId, event: event.pdu, membership: 'leave', streamPosition: next });
      return next;
    });
    this.byUser.delete(userId);
    this.events.emit('roomEvent', { roomId, eventId: event.eventId, position, userIds: [userId], membershipOf: userId });
    return true;
  }

  /** The invite event as the room version reads it. */
  inviteEvent(invite: RemoteInvite): RoomEvent {
    const rules = getRoomVersion(invite.roomVersion);
    return toRoomEvent(invite.event as Pdu, rules, invite.eventId as RoomEvent['eventId']);
  }
}
