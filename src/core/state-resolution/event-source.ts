/**
 * Where state resolution reads events from. Resolution walks auth chains that may reach back to the
 * start of a room, so the source is asked in batches (one call per breadth-first frontier) and is
 * async so that storage can back it; the core stays free of I/O because it only awaits what it is
 * given. Within one resolution every event is fetched at most once (EventCache).
 */
import type { RoomEvent } from '../events/pdu.ts';
import type { EventId, RoomId } from '../ids/identifiers.ts';

export interface EventSource {
  /** The events with these IDs that the source holds; missing IDs are simply absent from the map. */
  getEvents(ids: readonly EventId[]): Promise<Map<EventId, RoomEvent>>;
  /**
   * Which of these events were rejected (server-server-api "Rejection"). Optional: a source that does
   * not know reports none. Rejected events are never used as auth state during the iterative auth
   * checks (rooms/v2 "Rejected events").
   */
  getRejectedEventIds?(ids: readonly EventId[]): Promise<ReadonlySet<EventId>>;
}

/** An EventSource over events held in memory: tests, benchmarks, events not yet persisted. */
export class MemoryEventSource implements EventSource {
  private readonly events = new Map<EventId, RoomEvent>();
  private readonly rejected = new Set<EventId>();

  constructor(events: Iterable<RoomEvent> = [], rejected: Iterable<EventId> = []) {
    for (const event of events) this.events.set(event.eventId, event);
    for (const id of rejected) this.rejected.add(id);
  }

  add(event: RoomEvent): void {
    this.events.set(event.eventId, event);
  }

  markRejected(id: EventId): void {
    this.rejected.add(id);
  }

  get(id: EventId): RoomEvent | undefined {
    return this.events.get(id);
  }

  get size(): number {
    return this.events.size;
  }

  getEvents(ids: readonly EventId[]): Promise<Map<EventId, RoomEvent>> {
    const found = new Map<EventId, RoomEvent>();
    for (const id of ids) {
      const event = this.events.get(id);
      if (event) found.set(id, event);
    }
    return Promise.resolve(found);
  }

  getRejectedEventIds(ids: readonly EventId[]): Promise<ReadonlySet<EventId>> {
    return Promise.resolve(new Set(ids.filter((id) => this.rejected.has(id))));
  }
}

/**
 * The events one resolution has fetched, memoised. `load` fetches whatever is not yet known in one
 * batch; `get` then answers synchronously. When a room ID is given, events of another room are
 * treated as missing: a remote server must not be able to smuggle them into our room's state.
 */
export class EventCache {
  private readonly events = new Map<EventId, RoomEvent>();
  private readonly missing = new Set<EventId>();
  private readonly rejected = new Set<EventId>();

  constructor(
    private readonly source: EventSource,
    private readonly roomId?: RoomId,
  ) {}

  /** Fetches the IDs not fetched before; afterwards `get` answers for all of them. */
  async load(ids: Iterable<EventId>): Promise<void> {
    const wanted: EventId[] = [];
    const seen = new Set<EventId>();
    for (const id of ids) {
      if (this.events.has(id) || this.missing.has(id) || seen.has(id)) continue;
      seen.add(id);
      wanted.push(id);
    }
    if (wanted.length === 0) return;
    const [found, rejected] = await Promise.all([
      this.source.getEvents(wanted),
      this.source.getRejectedEventIds ? this.source.getRejectedEventIds(wanted) : undefined,
    ]);
    for (const id of wanted) {
      const event = found.get(id);
      if (event && event.eventId === id && (this.roomId === undefined || event.roomId === this.roomId)) this.events.set(id, event);
      else this.missing.add(id);
    }
    if (rejected) for (const id of rejected) this.rejected.add(id);
  }

  get(id: EventId): RoomEvent | undefined {
    return this.events.get(id);
  }

  has(id: EventId): boolean {
    return this.events.has(id);
  }

  isRejected(id: EventId): boolean {
    return this.rejected.has(id);
  }
}
