/**
 * The invitee's server in server-server-api "Inviting to a room": PUT /v2/invite checks the invite the
 * inviting server built (format, signatures, a member event inviting a user of this server), signs it
 * too and answers with it. When this server is not in the room, the invite is kept as the user's
 * membership in a room this server is not in (RemoteRoomMemberships), so their /sync shows it under
 * `invite`; joining goes through the inviter's server, and a rejection is reported under `leave`.
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { SigningKey } from '../../../core/crypto/signing-key.ts';
import { MatrixError } from '../../../core/errors.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../../core/events/pdu.ts';
import { addEventSignature } from '../../../core/events/signatures.ts';
import { serverNameOf, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { RemoteMembership } from '../joins/remote-membership.ts';
import { getRoomVersion, isSupportedRoomVersion } from '../../../core/room-versions/known-versions.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { RemoteRoomMemberships } from '../remote-room-memberships.ts';
import { checkSignatures, type ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';

export interface InviteRequest {
  room_version: string;
  event: JsonObject;
  invite_room_state?: unknown[];
}

export class RemoteInvites {
  constructor(
    private readonly storage: Storage,
    private readonly memberships: RemoteRoomMemberships,
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
      await this.memberships.record({ ...event, pdu: signed as Pdu }, rules.id, 'invite', inviteState);
    }
    return { event: signed };
  }

  /** The servers to join the room through: the inviter's. */
  async serversFor(userId: string, roomId: string): Promise<string[]> {
    const invite = await this.memberships.of(userId, roomId);
    const sender = invite?.membership === 'invite' && typeof invite.event.sender === 'string' ? serverNameOf(invite.event.sender as UserId) : undefined;
    return sender ? [sender] : [];
  }

  /**
   * Rejects the invite (server-server-api "Leaving Rooms (Rejecting Invites)"): a leave through the
   * inviter's server; /sync then reports the room under `leave`. False when there is no such invite.
   */
  async reject(userId: string, roomId: string, content: JsonObject, membership: RemoteMembership): Promise<boolean> {
    const invite = await this.memberships.of(userId, roomId);
    if (invite?.membership !== 'invite') return false;
    const { event } = await membership.leave(userId, roomId as RoomId, await this.serversFor(userId, roomId), content);
    await this.memberships.record(event, invite.roomVersion, 'leave', invite.strippedState);
    return true;
  }
}
