/**
 * The resident server's side of server-server-api "Joining Rooms": make_join hands a joining server
 * an event template built on the room's current tip; send_join takes the event back, signed by the
 * joining server, through the same checks as any received PDU, and answers with the state of the room
 * before the join and its auth chain, so the joining server can check everything itself. The join is
 * then passed on to the room's other servers.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import { isJsonObject } from '../../../core/canonical-json.ts';
import { MatrixError } from '../../../core/errors.ts';
import { serverNameOf, type EventId, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import { computeAuthChain } from '../../../core/state-resolution/auth-chain.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import type { Timeline } from '../../rooms/timeline.ts';
import type { PduReceiver } from '../inbound-pdu/pdu-receiver.ts';
import type { FederationSender } from '../sender/federation-sender.ts';
import type { ServerRoomAccess } from '../server-room-access.ts';
import type { RestrictedJoins } from '../../rooms/restricted-joins.ts';
import type { SigningKey } from '../../../core/crypto/signing-key.ts';
import { addEventSignature } from '../../../core/events/signatures.ts';

export interface SendJoinResponse {
  origin: string;
  event: JsonObject;
  state: JsonObject[];
  auth_chain: JsonObject[];
  members_omitted: false;
  servers_in_room: string[];
}

export class ResidentJoins {
  constructor(
    private readonly serverName: string,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly timeline: Timeline,
    private readonly receiver: PduReceiver,
    private readonly sender: FederationSender,
    private readonly access: ServerRoomAccess,
    private readonly restrictedJoins: RestrictedJoins,
    private readonly signingKey: SigningKey,
  ) {}

  /** GET /make_join/{roomId}/{userId}?ver=…: the join template for a user of the origin server. */
  async makeJoin(origin: string, roomId: RoomId, userId: string, supportedVersions: readonly string[]): Promise<{ event: JsonObject; room_version: string }> {
    if (serverNameOf(userId as UserId) !== origin) throw new MatrixError('M_FORBIDDEN', 'A server may only ask to join its own users');
    const rules = await this.knownRoom(roomId);
    await this.access.checkAcl(origin, roomId);
    // "If not provided, the room version is assumed to be either '1' or '2'."
    const versions = supportedVersions.length > 0 ? supportedVersions : ['1'];
    if (!versions.includes(rules.id)) throw new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', `The room has version ${rules.id}`, { extra: { room_version: rules.id } });
    // A restricted room: this server vouches for a member of an allowed room (server-server-api "Restricted rooms").
    const via = await this.restrictedJoins.authoriser(roomId, userId);
    const content = { membership: 'join', ...(via ? { join_authorised_via_users_server: via } : {}) };
    const { template, verdict } = await this.timeline.eventTemplate({ roomId, type: 'm.room.member', stateKey: userId, sender: userId as UserId, content });
    if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', `You are not invited to this room: ${verdict.reason}`);
    return { event: template, room_version: rules.id };
  }

  /** PUT /v2/send_join/{roomId}/{eventId}: accepts the signed join and answers with the room's state before it. */
  async sendJoin(origin: string, roomId: RoomId, eventId: string, pdu: JsonObject): Promise<SendJoinResponse> {
    await this.knownRoom(roomId);
    await this.access.checkAcl(origin, roomId);
    const content = isJsonObject(pdu.content) ? pdu.content : {};
    if (pdu.type !== 'm.room.member' || content.membership !== 'join' || pdu.state_key !== pdu.sender || typeof pdu.sender !== 'string') {
      throw new MatrixError('M_BAD_JSON', 'Not a join event of its sender');
    }
    if (serverNameOf(pdu.sender as UserId) !== origin) throw new MatrixError('M_FORBIDDEN', 'A server may only send the joins of its own users');
    if (pdu.room_id !== roomId) throw new MatrixError('M_BAD_JSON', 'The event is not in this room');
    // A join this server vouches for carries its signature too, given once the vouching still holds.
    const via = content.join_authorised_via_users_server;
    if (typeof via === 'string' && serverNameOf(via as UserId) === this.serverName) {
      const expected = await this.restrictedJoins.authoriser(roomId, pdu.sender);
      if (expected !== undefined) pdu = addEventSignature(pdu, await this.eventStore.roomRules(roomId), this.serverName, this.signingKey);
    }
    const outcome = await this.receiver.receive(pdu);
    await this.receiver.flush();
    if (outcome.eventId !== eventId) throw new MatrixError('M_BAD_JSON', 'The event ID does not match the event');
    if (outcome.outcome !== 'accepted' && outcome.outcome !== 'known') throw new MatrixError('M_FORBIDDEN', `The join was not accepted (${outcome.outcome}: ${outcome.reason})`);
    const join = (await this.eventStore.localEvent(eventId))!;
    if (join.rejected || join.streamPosition === null || join.stateBeforeGroup === null) throw new MatrixError('M_FORBIDDEN', 'The join was not accepted');
    const stateBefore = await this.roomStates.stateOfGroup(join.stateBeforeGroup);
    const stateIds = [...stateBefore.values()];
    const authChain = await computeAuthChain([...stateIds, ...join.event.authEventIds], this.eventStore);
    const events = await this.eventStore.getEvents([...stateIds, ...authChain]);
    const pdus = (ids: Iterable<EventId>) => [...ids].flatMap((id) => events.get(id)?.pdu ?? []);
    if (outcome.outcome === 'accepted') await this.sender.relay(join.event, join.streamPosition, await this.roomStates.stateOfGroup(join.stateAfterGroup!), origin);
    const servers = new Set([this.serverName, ...(await this.roomStates.members(roomId, ['join'])).map((member) => serverNameOf(member)!)]);
    return { origin: this.serverName, event: join.event.pdu, state: pdus(stateIds), auth_chain: pdus(authChain), members_omitted: false, servers_in_room: [...servers] };
  }

  private async knownRoom(roomId: RoomId) {
    try {
      return await this.eventStore.roomRules(roomId);
    } catch {
      throw new MatrixError('M_NOT_FOUND', 'This server is not in that room');
    }
  }
}
