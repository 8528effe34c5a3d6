/**
 * A PDU from another server, through server-server-api "Checks performed on receipt of a PDU" in order,
 * into the timeline (DESIGN "The event path"):
 *   1. a valid event of a room this server is in (else dropped);
 *   2. signed by every server that must sign it (else dropped);
 *   3. content hash matches (else processed redacted);
 *   4. allowed by its auth events (else rejected);
 *   5. allowed by the state before it (else rejected);
 *   6. allowed by the room's current state (else soft-failed) — in Timeline.appendReceived, under the room's lock.
 * Rejected and soft-failed events are stored (so they are not fetched or checked again) but never
 * served to clients. An event whose prev events are unknown here is dropped for now: fetching them
 * (get_missing_events, state_ids) comes with the transaction receiver.
 */
import { MatrixError } from '../../../core/errors.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import { isJsonObject } from '../../../core/canonical-json.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import type { Timeline } from '../../rooms/timeline.ts';
import { checkAgainstAuthEvents } from './check-auth-events.ts';
import { withCheckedContentHash } from './check-hashes.ts';
import { checkSignatures, type ServerKeyLookup } from './check-signatures.ts';
import { checkAgainstState, stateBeforeEvent } from './state-before.ts';

export type PduOutcome =
  | { outcome: 'accepted'; eventId: string; streamPosition: number; redacted: boolean }
  | { outcome: 'rejected' | 'soft-failed'; eventId: string; reason: string }
  | { outcome: 'known'; eventId: string }
  | { outcome: 'dropped'; eventId?: string; reason: string };

export class PduReceiver {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly timeline: Timeline,
    private readonly keys: ServerKeyLookup,
  ) {}

  async receive(json: unknown): Promise<PduOutcome> {
    // 1. Format, in a room whose version this server knows (it is in the room).
    const roomId = isJsonObject(json) && typeof json.room_id === 'string' ? json.room_id : undefined;
    if (roomId === undefined) return { outcome: 'dropped', reason: 'no room_id' };
    let rules: Readonly<RoomVersionRules>;
    try {
      rules = await this.eventStore.roomRules(roomId);
    } catch {
      return { outcome: 'dropped', reason: `not in room ${roomId}` };
    }
    let event: RoomEvent;
    try {
      event = toRoomEvent(checkPduFormat(json, rules), rules);
    } catch (error) {
      return { outcome: 'dropped', reason: error instanceof MatrixError ? error.message : 'not a valid event' };
    }
    if (event.roomId !== roomId) return { outcome: 'dropped', eventId: event.eventId, reason: 'room_id does not match the room' };
    if (await this.eventStore.localEvent(event.eventId)) return { outcome: 'known', eventId: event.eventId };

    // 2. Signatures.
    const unsigned = await checkSignatures(event, rules, this.keys);
    if (unsigned) return { outcome: 'dropped', eventId: event.eventId, reason: unsigned };
    // 3. Hashes.
    const checked = withCheckedContentHash(event, rules);
    event = checked.event;

    // 5 needs the state before the event, from its prev events.
    const before = await stateBeforeEvent(event, rules, this.eventStore, this.roomStates);
    if (!before) return { outcome: 'dropped', eventId: event.eventId, reason: 'prev events unknown here' };
    if (before.group === null && before.state.size > 0) before.group = await this.storage.stateGroups.create(event.roomId, before.state);

    // 4 and 5: a failure rejects the event, which is stored as rejected.
    const rejectedReason = (await checkAgainstAuthEvents(event, rules, this.eventStore)) ?? (await checkAgainstState(event, before.state, rules, this.roomStates));
    // 6 (soft failure) runs under the room's lock in the timeline.
    const { appended, softFailed } = await this.timeline.appendReceived(event, before, rejectedReason);
    if (rejectedReason !== null) return { outcome: 'rejected', eventId: event.eventId, reason: rejectedReason };
    if (softFailed || !appended) return { outcome: 'soft-failed', eventId: event.eventId, reason: 'not allowed by the current state of the room' };
    return { outcome: 'accepted', eventId: event.eventId, streamPosition: appended.streamPosition, redacted: checked.redacted };
  }
}
