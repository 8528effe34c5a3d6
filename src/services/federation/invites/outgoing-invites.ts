/**
 * The inviting server in server-server-api "Inviting to a room": an invite of another server's user
 * is sent to that server (PUT /v2/invite) with the room's stripped state, and enters the room only
 * once it carries that server's signature too.
 */
import { strippedStateTypes, toStrippedStateEvent } from '../../../core/events/client-event.ts';
import { stateKeyOf, type RoomEvent } from '../../../core/events/pdu.ts';
import { MatrixError } from '../../../core/errors.ts';
import { serverNameOf, type RoomId, type UserId } from '../../../core/ids/identifiers.ts';
import type { FederationRequest } from '../../../federation-client/federation-client.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import { adoptSignature, type ServerKeyLookup } from '../inbound-pdu/check-signatures.ts';


export class OutgoingInvites {
  constructor(
    private readonly requester: { request<T>(request: FederationRequest): Promise<{ status: number; json: T }> },
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly keys: ServerKeyLookup,
  ) {}

  /** The invite carrying the invitee's server's signature (throws when that server refuses). */
  async cosign(event: RoomEvent): Promise<RoomEvent> {
    const server = serverNameOf(event.stateKey as UserId)!;
    const rules = await this.eventStore.roomRules(event.roomId);
    const { state } = await this.roomStates.currentState(event.roomId as RoomId);
    const stripped = await this.roomStates.events(state, strippedStateTypes.map((type) => stateKeyOf(type, '')));
    const inviter = await this.roomStates.events(state, [stateKeyOf('m.room.member', event.sender)]);
    let answer: { event?: unknown };
    try {
      answer = (
        await this.requester.request<{ event?: unknown }>({
          method: 'PUT',
          destination: server,
          path: `/_matrix/federation/v2/invite/${encodeURIComponent(event.roomId)}/${encodeURIComponent(event.eventId)}`,
          body: { room_version: rules.id, event: event.pdu, invite_room_state: [...stripped.values(), ...inviter.values()].map(toStrippedStateEvent) },
        })
      ).json;
    } catch (error) {
      const remote = error as { status?: number; error?: string };
      if (remote.status === 403 || remote.status === 404) throw new MatrixError('M_FORBIDDEN', `${server} refused the invite${remote.error ? `: ${remote.error}` : ''}`);
      throw new MatrixError('M_UNKNOWN', `Could not reach ${server} to invite its user`, { status: 502 });
    }
    // Only the invitee server's signature is taken from the answer, checked over our own event.
    const signed = await adoptSignature(event, answer.event, server, rules, this.keys);
    if (signed) return signed;
    throw new MatrixError('M_UNKNOWN', `${server} did not sign the invite`, { status: 502 });
  }
}
