/**
 * Room events in the client format for one requester, in batches: redacted events are served redacted
 * with `redacted_because`, the requester's own device sees its `transaction_id`, and events with
 * children get their bundled aggregations (`m.relations`). Every read path (/messages, /context,
 * /event, /state, /sync, /relations) formats through here, so they all agree.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { toClientEvent } from '../../core/events/client-event.ts';
import { stateKeyOf, type RoomEvent } from '../../core/events/pdu.ts';
import type { EventId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { BundledAggregations } from './bundled-aggregations.ts';
import type { EventStore } from './event-store.ts';
import type { RoomStates } from './room-states.ts';

/** A thread's latest event is bundled with its edit: two levels. */
const maxBundleNesting = 2;

export class ClientEvents {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly clock: () => number,
    private readonly aggregations?: BundledAggregations,
  ) {}

  /** `options.nesting` is internal: how deep in other events' bundles these events are served. */
  async format(requester: Pick<Requester, 'userId' | 'deviceId'>, events: readonly RoomEvent[], options: { omitRoomId?: boolean; nesting?: number } = {}): Promise<JsonObject[]> {
    if (events.length === 0) return [];
    const ids = events.map((event) => event.eventId);
    const redactionIds = await this.eventStore.redactionsOf(ids);
    const redactions = await this.eventStore.getEvents([...redactionIds.values()] as EventId[]);
    const own = events.filter((event) => event.sender === requester.userId).map((event) => event.eventId);
    const transactionIds = own.length > 0 ? await this.storage.roomEvents.transactionIds(own, requester.userId, requester.deviceId) : new Map<string, string>();
    const replaced = await this.replacedStates(events);
    const bundles = await this.bundles(requester, events, new Set(redactionIds.keys()), options);
    const now = this.clock();
    const formatted: JsonObject[] = [];
    for (const event of events) {
      const redaction = redactions.get(redactionIds.get(event.eventId) as EventId);
      const transactionId = transactionIds.get(event.eventId);
      const previous = replaced.get(event.eventId);
      const bundle = bundles.get(event.eventId);
      const unsigned = {
        ...(transactionId === undefined ? {} : { transaction_id: transactionId }),
        ...(previous ? { replaces_state: previous.eventId, prev_content: previous.content } : {}),
        ...(bundle ? { 'm.relations': bundle } : {}),
      };
      formatted.push(
        toClientEvent(event, {
          now,
          omitRoomId: options.omitRoomId,
          unsigned,
          ...(redaction ? { redactedBy: { redaction, rules: await this.eventStore.roomRules(event.roomId) } } : {}),
        }),
      );
    }
    return formatted;
  }

  /**
   * client-server-api "Aggregations of child events". The events bundled (a thread's latest event, an
   * edit) are served the same way, with their own aggregations; deeper than that nothing is bundled
   * (threads cannot nest and edits have none, so this only guards against loops).
   */
  private async bundles(requester: Pick<Requester, 'userId' | 'deviceId'>, events: readonly RoomEvent[], redacted: ReadonlySet<string>, options: { omitRoomId?: boolean; nesting?: number }): Promise<Map<string, JsonObject>> {
    const nesting = options.nesting ?? 0;
    if (!this.aggregations || nesting >= maxBundleNesting) return new Map();
    return this.aggregations.bundle(requester.userId, events, redacted, (bundled) => this.format(requester, bundled, { omitRoomId: options.omitRoomId, nesting: nesting + 1 }));
  }

  /**
   * ClientEvent "prev_content" and "replaces_state": for each state event, the state event it
   * replaced, read from the state snapshot before it.
   */
  private async replacedStates(events: readonly RoomEvent[]): Promise<Map<string, RoomEvent>> {
    const stateEvents = events.filter((event) => event.stateKey !== undefined);
    const replaced = new Map<string, RoomEvent>();
    if (stateEvents.length === 0) return replaced;
    const locals = await this.eventStore.localEvents(stateEvents.map((event) => event.eventId));
    const previousIds = new Map<string, EventId>();
    for (const event of stateEvents) {
      const before = locals.get(event.eventId)?.stateBeforeGroup;
      if (before == null) continue;
      const previousId = (await this.roomStates.stateOfGroup(before)).get(stateKeyOf(event.type, event.stateKey!));
      if (previousId !== undefined) previousIds.set(event.eventId, previousId);
    }
    const previous = await this.eventStore.getEvents([...previousIds.values()]);
    for (const [eventId, previousId] of previousIds) {
      const event = previous.get(previousId);
      if (event) replaced.set(eventId, event);
    }
    return replaced;
  }

  async formatOne(requester: Pick<Requester, 'userId' | 'deviceId'>, event: RoomEvent): Promise<JsonObject> {
    return (await this.format(requester, [event]))[0]!;
  }
}
