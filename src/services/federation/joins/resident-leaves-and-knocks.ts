/**
 * The resident server's side of server-server-api "Leaving Rooms (Rejecting Invites)" and "Knocking
 * upon a room": the same handshake as a join (ResidentJoins). make_leave / make_knock hand the other
 * server a template built on the room's current tip, refused (403) when the room's current state would
 * not allow the event; send_leave (v2) / send_knock take the event back, signed by that server, through
 * the checks on receipt of any PDU, and pass it on to the room's other servers. A knock is answered
 * with the room's stripped state, so the knocker's client can show what it knocked on.
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import { MatrixError } from '../../../core/errors.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { strippedStateTypes } from '../../../core/events/client-event.ts';
import { stateKeyOf, toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import { serverNameOf, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import type { Timeline } from '../../rooms/timeline.ts';
import type { PduReceiver } from '../inbound-pdu/pdu-receiver.ts';
import type { FederationSender } from '../sender/federation-sender.ts';
import type { ServerRoomAccess } from '../server-room-access.ts';


type HandshakeMembership = 'leave' | 'knock';

export class ResidentLeavesAndKnocks {
  constructor(
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly timeline: Timeline,
    private readonly receiver: PduReceiver,
    private readonly sender: FederationSender,
    private readonly access: ServerRoomAccess,
  ) {}

  /** GET /v1/make_leave/{roomId}/{userId}: the leave template for a user of the origin server. */
  async makeLeave(origin: string, roomId: RoomId, userId: string): Promise<{ event: JsonObject; room_version: string }> {
    const rules = await this.admit(origin, roomId, userId);
    return { event: await this.template(roomId, userId, 'leave'), room_version: rules.id };
  }

  /** PUT /v2/send_leave/{roomId}/{eventId}: accepts the signed leave; answers `{}`. */
  async sendLeave(origin: string, roomId: RoomId, eventId: string, pdu: JsonObject): Promise<Record<string, never>> {
    await this.receive(origin, roomId, eventId, pdu, 'leave');
    return {};
  }

  /** GET /v1/make_knock/{roomId}/{userId}?ver=…: the knock template (rooms v7+: "knock" membership). */
  async makeKnock(origin: string, roomId: RoomId, userId: string, supportedVersions: readonly string[]): Promise<{ event: JsonObject; room_version: string }> {
    const rules = await this.admit(origin, roomId, userId);
    // knocks.yaml: 400 "the room … has a version that is not listed in the `ver` parameters".
    if (!supportedVersions.includes(rules.id)) throw new MatrixError('M_INCOMPATIBLE_ROOM_VERSION', `The room has version ${rules.id}`, { extra: { room_version: rules.id } });
    if (!rules.knocking) throw new MatrixError('M_FORBIDDEN', `Room version ${rules.id} does not support knocking`);
    return { event: await this.template(roomId, userId, 'knock'), room_version: rules.id };
  }

  /** PUT /v1/send_knock/{roomId}/{eventId}: accepts the signed knock; answers with the room's stripped state. */
  async sendKnock(origin: string, roomId: RoomId, eventId: string, pdu: JsonObject): Promise<{ knock_room_state: JsonObject[] }> {
    const rules = await this.knownRoom(roomId);
    if (!rules.knocking) throw new MatrixError('M_FORBIDDEN', `Room version ${rules.id} does not support knocking`);
    await this.receive(origin, roomId, eventId, pdu, 'knock');
    // knocks.yaml (v1.16): full events of the room's version, the create event among them.
    const { state } = await this.roomStates.currentState(roomId);
    const events = await this.roomStates.events(state, strippedStateTypes.map((type) => stateKeyOf(type, '')));
    return { knock_room_state: [...events.values()].map((event) => event.pdu) };
  }

  /** A known room, an origin the room's ACL lets in, asking for one of its own users. */
  private async admit(origin: string, roomId: RoomId, userId: string): Promise<Readonly<RoomVersionRules>> {
    if (serverNameOf(userId as UserId) !== origin) throw new MatrixError('M_FORBIDDEN', 'A server may only ask for the membership of its own users');
    const rules = await this.knownRoom(roomId);
    await this.access.checkAcl(origin, roomId);
    return rules;
  }

  /** The template of the user's own membership event, or 403 when the room's current state would refuse it. */
  private async template(roomId: RoomId, userId: string, membership: HandshakeMembership): Promise<JsonObject> {
    const { template, verdict } = await this.timeline.eventTemplate({ roomId, type: 'm.room.member', stateKey: userId, sender: userId as UserId, content: { membership } });
    if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', `You may not ${membership} this room: ${verdict.reason}`);
    return template;
  }

  /**
   * leaving-v2.yaml / knocks.yaml: "servers SHOULD return M_INVALID_PARAM if" the event fails a
   * signature check, is not an m.room.member event of that membership, its sender is not a user of
   * the origin server, or its state_key is not its sender. Then the checks on receipt of a PDU decide,
   * and an accepted event is passed on to the room's other servers (the origin sends it to nobody).
   */
  private async receive(origin: string, roomId: RoomId, eventId: string, pdu: JsonObject, membership: HandshakeMembership): Promise<RoomEvent> {
    const rules = await this.knownRoom(roomId);
    await this.access.checkAcl(origin, roomId);
    const content = isJsonObject(pdu.content) ? pdu.content : {};
    if (pdu.type !== 'm.room.member' || content.membership !== membership || typeof pdu.sender !== 'string' || pdu.state_key !== pdu.sender) {
      throw new MatrixError('M_INVALID_PARAM', `Not a ${membership} event of its sender`);
    }
    if (serverNameOf(pdu.sender as UserId) !== origin) throw new MatrixError('M_INVALID_PARAM', `A server may only send the ${membership} events of its own users`);
    if (pdu.room_id !== roomId) throw new MatrixError('M_INVALID_PARAM', 'The event is not in this room');
    // The event ID is checked before the event is taken in, so a mismatch stores nothing.
    let parsed: RoomEvent;
    try {
      parsed = toRoomEvent(checkPduFormat(pdu, rules), rules);
    } catch (error) {
      throw new MatrixError('M_INVALID_PARAM', error instanceof MatrixError ? error.message : 'Not a valid event');
    }
    if (parsed.eventId !== eventId) throw new MatrixError('M_INVALID_PARAM', 'The event ID does not match the event');

    const outcome = await this.receiver.receive(pdu);
    await this.receiver.flush();
    if (outcome.outcome === 'dropped') throw new MatrixError('M_INVALID_PARAM', `The ${membership} event was not accepted: ${outcome.reason}`);
    if (outcome.outcome !== 'accepted' && outcome.outcome !== 'known') throw new MatrixError('M_FORBIDDEN', `The ${membership} was not accepted (${outcome.outcome}: ${outcome.reason})`);
    const stored = (await this.eventStore.localEvent(eventId))!;
    if (stored.rejected || stored.streamPosition === null || stored.stateAfterGroup === null) throw new MatrixError('M_FORBIDDEN', `The ${membership} was not accepted`);
    if (outcome.outcome === 'accepted') await this.sender.relay(stored.event, stored.streamPosition, await this.roomStates.stateOfGroup(stored.stateAfterGroup), origin);
    return stored.event;
  }

  private async knownRoom(roomId: RoomId): Promise<Readonly<RoomVersionRules>> {
    try {
      return await this.eventStore.roomRules(roomId);
    } catch {
      throw new MatrixError('M_NOT_FOUND', 'This server is not in that room');
    }
  }
}
