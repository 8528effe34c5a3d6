/**
 * Read access to stored room events as the core's RoomEvent, with a bounded cache: auth checks, state
 * resolution and sync read the same recent events over and over. Stored events never change (a
 * redaction is a separate event), so cached entries need no invalidation. Also answers which room
 * version a room has, which never changes either, and which redaction redacted an event (kept up to
 * date by the timeline's commits).
 */
import { MatrixError } from '../../core/errors.ts';
import { toRoomEvent, type Pdu, type RoomEvent } from '../../core/events/pdu.ts';
import type { EventId, RoomId } from '../../core/ids/identifiers.ts';
import { getRoomVersion } from '../../core/room-versions/known-versions.ts';
import type { RoomVersionRules } from '../../core/room-versions/room-version-rules.ts';
import type { StoredEvent } from '../../storage/repositories/room-events.ts';
import type { Repositories } from '../../storage/storage.ts';
import { lru } from '../../util/lru.ts';

/** A room event with what this server knows about it beyond the PDU. */
export interface LocalEvent {
  readonly event: RoomEvent;
  /** Position on the events stream; null for outliers. */
  readonly streamPosition: number | null;
  readonly rejected: boolean;
  readonly stateBeforeGroup: number | null;
  readonly stateAfterGroup: number | null;
}

export class EventStore {
  /**
   * Some 1.1 KiB of heap each. The hot events, the auth events every new event cites and the latest
   * of each busy room, stay in it; a stream of messages fills the rest.
   */
  private readonly cache = lru<string, LocalEvent>(5_000);
  private readonly versions = lru<string, Readonly<RoomVersionRules>>(10_000);
  /** Per event, its first redaction's event ID, or false when it has none. */
  private readonly redactions = lru<string, string | false>(10_000);
  /** Bumped on every redaction committed, so a read that raced one is not cached. */
  private redactionsCommitted = 0;

  constructor(private readonly storage: Repositories) {}

  /** The room's version rules; M_NOT_FOUND for a room this server does not know. */
  async roomRules(roomId: RoomId | string, storage: Repositories = this.storage): Promise<Readonly<RoomVersionRules>> {
    const cached = this.versions.get(roomId);
    if (cached) return cached;
    const room = await storage.roomEvents.room(roomId);
    if (!room) throw new MatrixError('M_NOT_FOUND', 'Unknown room');
    const rules = getRoomVersion(room.roomVersion);
    this.versions.set(roomId, rules);
    return rules;
  }

  /** The stored events among `ids` (unknown IDs are absent), from the cache where possible. */
  async localEvents(ids: readonly string[], storage: Repositories = this.storage): Promise<Map<EventId, LocalEvent>> {
    const found = new Map<EventId, LocalEvent>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.cache.get(id);
      if (cached) found.set(id as EventId, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    for (const stored of (await storage.roomEvents.events(missing)).values()) {
      const local = await this.fromStored(stored, storage);
      found.set(local.event.eventId, local);
      // Only committed reads are cached: inside a transaction the row may still roll back.
      if (storage === this.storage) this.cache.set(local.event.eventId, local);
    }
    return found;
  }

  /** The events among `ids`; the state-resolution EventSource shape. */
  async getEvents(ids: readonly EventId[]): Promise<Map<EventId, RoomEvent>> {
    const events = new Map<EventId, RoomEvent>();
    for (const [id, local] of await this.localEvents(ids)) events.set(id, local.event);
    return events;
  }

  async localEvent(id: string): Promise<LocalEvent | undefined> {
    return (await this.localEvents([id])).get(id as EventId);
  }

  /**
   * Called by the timeline after it committed one of this server's events, so they are served without
   * a read. The event is new (its ID is a hash of it), so nothing has redacted it yet.
   */
  remember(local: LocalEvent): void {
    const { eventId, redacts } = local.event;
    this.cache.set(eventId, local);
    this.redactions.set(eventId, false);
    if (redacts === undefined) return;
    this.redactionsCommitted++;
    // A first redaction is the one; after a second, which one comes first is the database's to say.
    if (this.redactions.get(redacts) === false) this.redactions.set(redacts, eventId);
    else this.redactions.delete(redacts);
  }

  /**
   * Called by the timeline after it stored an event of a room's past (backfill). Unlike a new event,
   * it may have been redacted already (so nothing is assumed about that), and it may have been cached
   * as an outlier.
   */
  rememberHistory(local: LocalEvent): void {
    this.cache.set(local.event.eventId, local);
    const { redacts } = local.event;
    if (redacts === undefined || local.rejected) return;
    this.redactionsCommitted++;
    this.redactions.delete(redacts);
  }

  /** For each of `ids` that has been redacted, its first redaction's event ID. */
  async redactionsOf(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of ids) {
      const cached = this.redactions.get(id);
      if (cached === undefined) missing.push(id);
      else if (cached) found.set(id, cached);
    }
    if (missing.length === 0) return found;
    const committedBefore = this.redactionsCommitted;
    const read = await this.storage.roomEvents.redactionsOf(missing);
    for (const id of missing) {
      const redaction = read.get(id);
      if (redaction) found.set(id, redaction);
      if (committedBefore === this.redactionsCommitted) this.redactions.set(id, redaction ?? false);
    }
    return found;
  }

  private async fromStored(stored: StoredEvent, storage: Repositories): Promise<LocalEvent> {
    const rules = await this.roomRules(stored.roomId, storage);
    return {
      event: toRoomEvent(stored.pdu as Pdu, rules, stored.eventId as EventId),
      streamPosition: stored.streamPosition,
      rejected: stored.rejectedReason !== null,
      stateBeforeGroup: stored.stateBeforeGroup,
      stateAfterGroup: stored.stateAfterGroup,
    };
  }
}
