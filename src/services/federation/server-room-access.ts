/**
 * What another server may read of a room (server-server-api "Server Access Control Lists (ACLs)",
 * and the 403s of the event-reading endpoints: "The requesting host is not in the room, or is excluded
 * from the room via m.room.server_acl"). A server may read a room when the room's ACL lets it in and it
 * has a joined member there (now, or at the event asked about), or anyone may read the room
 * (history visibility world_readable).
 *
 * Single events are then served as history visibility allows that server (as Synapse's
 * filter_events_for_server): under `invited` or `joined` visibility, an event the server had no
 * invited or joined member at is served redacted (still verifiable: signatures cover the redacted
 * form), not left out, so the DAG stays whole. Events redacted in the room are served redacted too.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import { redactEvent } from '../../core/events/redact.ts';
import { isServerAllowedByAcl } from '../../core/federation/server-acl.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import type { EventStore, LocalEvent } from '../rooms/event-store.ts';
import type { RoomStates, StateMap } from '../rooms/room-states.ts';

const memberPrefix = 'm.room.member\u0000';
const visibilityKey = stateKeyOf('m.room.history_visibility', '');

/** The server part of a user ID: everything after the first colon. */
function serverOfUser(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

export class ServerRoomAccess {
  constructor(
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
  ) {}

  /** 404 M_NOT_FOUND for a room this server does not know; 403 M_FORBIDDEN when the room's ACL denies `origin`. */
  async checkAcl(origin: string, roomId: RoomId | string): Promise<void> {
    await this.eventStore.roomRules(roomId);
    const acl = await this.roomStates.currentEvent(roomId as RoomId, 'm.room.server_acl', '');
    if (acl && !isServerAllowedByAcl(origin, acl.content)) throw new MatrixError('M_FORBIDDEN', 'Server is banned from this room by its server ACL');
  }

  /**
   * Throws unless `origin` may read the room: known room (404), allowed by the ACL (403), and a joined
   * member of `origin` in the current state or the state at `at`, or a world-readable room (403).
   */
  async assertMayRead(origin: string, roomId: RoomId | string, at?: LocalEvent): Promise<void> {
    await this.checkAcl(origin, roomId);
    const joined = await this.roomStates.members(roomId as RoomId, ['join']);
    if (joined.some((userId) => serverOfUser(userId) === origin)) return;
    const stateAt = at ? await this.stateAt(at) : undefined;
    if (stateAt && (await this.hasMember(origin, stateAt, ['join']))) return;
    if ((await this.historyVisibility((await this.roomStates.currentState(roomId)).state)) === 'world_readable') return;
    throw new MatrixError('M_FORBIDDEN', 'Your server is not in this room');
  }

  /** The PDUs of `events` as `origin` may see them (see the file comment), in the same order. */
  async pdusFor(origin: string | undefined, events: readonly LocalEvent[]): Promise<JsonObject[]> {
    const redactions = await this.eventStore.redactionsOf(events.map((local) => local.event.eventId));
    // Events that share a state snapshot share the verdict.
    const verdicts = new Map<number | null, boolean>();
    const pdus: JsonObject[] = [];
    for (const local of events) {
      const groupId = local.stateAfterGroup ?? local.stateBeforeGroup;
      let visible = origin === undefined || verdicts.get(groupId);
      if (visible === undefined) verdicts.set(groupId, (visible = await this.serverMaySee(origin!, local)));
      const hidden = !visible;
      pdus.push(hidden || redactions.has(local.event.eventId) ? await this.redacted(local.event) : local.event.pdu);
    }
    return pdus;
  }

  /** The PDUs of state and auth events, redacted only where the room redacted them. */
  async pdusOf(events: readonly RoomEvent[]): Promise<JsonObject[]> {
    const redactions = await this.eventStore.redactionsOf(events.map((event) => event.eventId));
    return Promise.all(events.map((event) => (redactions.has(event.eventId) ? this.redacted(event) : event.pdu)));
  }

  private async redacted(event: RoomEvent): Promise<JsonObject> {
    return redactEvent(event.pdu, await this.eventStore.roomRules(event.roomId));
  }

  /** history visibility at the event for a server: anything but `invited` and `joined` is visible to all. */
  private async serverMaySee(origin: string, local: LocalEvent): Promise<boolean> {
    const state = await this.stateAt(local);
    if (!state) return false;
    const visibility = await this.historyVisibility(state);
    if (visibility === 'invited') return this.hasMember(origin, state, ['invite', 'join']);
    if (visibility === 'joined') return this.hasMember(origin, state, ['join']);
    return true;
  }

  /** The state "at" an event: after it for state events (as HistoryVisibility reads it). */
  private async stateAt(local: LocalEvent): Promise<StateMap | undefined> {
    const groupId = local.stateAfterGroup ?? local.stateBeforeGroup;
    return groupId === null ? undefined : this.roomStates.stateOfGroup(groupId);
  }

  private async historyVisibility(state: StateMap): Promise<string> {
    const event = (await this.roomStates.events(state, [visibilityKey])).get(visibilityKey);
    const visibility = event?.content.history_visibility;
    // client-server-api "History visibility": "The default value of this field is shared".
    return typeof visibility === 'string' ? visibility : 'shared';
  }

  /** Whether a user of `origin` has one of `memberships` in `state`. */
  private async hasMember(origin: string, state: StateMap, memberships: readonly string[]): Promise<boolean> {
    const keys: StateKey[] = [];
    for (const key of state.keys()) if (key.startsWith(memberPrefix) && serverOfUser(key.slice(memberPrefix.length)) === origin) keys.push(key);
    if (keys.length === 0) return false;
    for (const event of (await this.roomStates.events(state, keys)).values()) {
      if (memberships.includes(event.content.membership as string)) return true;
    }
    return false;
  }
}
