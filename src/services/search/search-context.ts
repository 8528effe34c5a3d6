/**
 * The context of a search result (search.yaml "event_context"): the events just before and after it
 * that the user may see, pagination tokens around them (the same stream tokens as /messages), and on
 * request the senders' profiles as they were at the result ("historic profile information").
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { stateKeyOf, type RoomEvent } from '../../core/events/pdu.ts';
import type { EventId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientEvents } from '../rooms/client-events.ts';
import type { EventStore, LocalEvent } from '../rooms/event-store.ts';
import type { HistoryVisibility } from '../rooms/history-visibility.ts';
import type { IgnoredUsers } from '../rooms/ignored-users.ts';
import { encodeStreamToken, historyFloor } from '../rooms/room-reads.ts';
import type { Membership, RoomStates } from '../rooms/room-states.ts';

export interface ContextRequest {
  beforeLimit: number;
  afterLimit: number;
  includeProfile: boolean;
}

export class SearchContext {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly visibility: HistoryVisibility,
    private readonly clientEvents: ClientEvents,
    private readonly ignoredUsers: IgnoredUsers,
  ) {}

  async of(requester: Requester, result: LocalEvent, membership: Membership | undefined, request: ContextRequest): Promise<JsonObject> {
    const { roomId } = result.event;
    const position = result.streamPosition!;
    // Only what this server holds: a result's context does not ask other servers for history.
    const before = request.beforeLimit === 0 ? [] : await this.storage.roomEvents.timelineBetween(roomId, historyFloor, position - 1, 'b', request.beforeLimit);
    const after = request.afterLimit === 0 ? [] : await this.storage.roomEvents.timelineBetween(roomId, position, Number.MAX_SAFE_INTEGER, 'f', request.afterLimit);
    const visible = async (rows: typeof before): Promise<RoomEvent[]> => {
      const locals = await this.eventStore.localEvents(rows.map((row) => row.eventId));
      const seen = await this.visibility.filter(requester.userId, rows.flatMap((row) => locals.get(row.eventId as EventId) ?? []), membership);
      return this.ignoredUsers.filter(requester.userId, seen.map((local) => local.event));
    };
    const [eventsBefore, eventsAfter] = [await visible(before), await visible(after)];
    const context: JsonObject = {
      // Newest first, as /context's events_before.
      events_before: await this.clientEvents.format(requester, eventsBefore),
      events_after: await this.clientEvents.format(requester, eventsAfter),
      start: encodeStreamToken((before.at(-1)?.streamPosition ?? position) - 1),
      end: encodeStreamToken(after.at(-1)?.streamPosition ?? position),
    };
    if (request.includeProfile) context.profile_info = await this.profiles(result, [...eventsBefore, result.event, ...eventsAfter]);
    return context;
  }

  /** The display names and avatars of the events' senders in the room's state at the result. */
  private async profiles(result: LocalEvent, events: readonly RoomEvent[]): Promise<Record<string, JsonObject>> {
    const group = result.stateAfterGroup ?? result.stateBeforeGroup;
    if (group === null) return {};
    const keys = [...new Set(events.map((event) => stateKeyOf('m.room.member', event.sender)))];
    const members = await this.roomStates.events(await this.roomStates.stateOfGroup(group), keys);
    const profiles: Record<string, JsonObject> = {};
    for (const member of members.values()) {
      const { displayname, avatar_url } = member.content;
      profiles[member.stateKey!] = { ...(typeof displayname === 'string' ? { displayname } : {}), ...(typeof avatar_url === 'string' ? { avatar_url } : {}) };
    }
    return profiles;
  }
}
