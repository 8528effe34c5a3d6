/**
 * The newest events of active rooms, in memory: every incremental /sync asks, for each of the user's
 * rooms, whether it has events after the `since` position and which; for a busy room with many
 * long-polling members that was two queries per member per message.
 *
 * The timeline records each event once it has committed, in commit order, which is stream order (the
 * persister commits one transaction at a time). So a room's window holds *every* event of the room in
 * (from, latest]; a read that reaches further back than `from` goes to the database. A room not held
 * has no event after `floor`: the position this process started from, raised to the newest event of
 * each room the cache drops.
 *
 * Stream ranges are half open, (after, upTo], as in RoomEvents.timelineBetween.
 */
import { lru } from '../../util/lru.ts';
import type { TimelineEntry } from '../../storage/repositories/room-events.ts';
import type { Repositories } from '../../storage/storage.ts';

interface RoomWindow {
  /** Every event of the room after this position is in `entries`. */
  from: number;
  /** Oldest first. */
  entries: TimelineEntry[];
}

/** Events kept per room: more than a client's usual timeline limit, so most syncs find them all here. */
const windowSize = 50;
const heldRooms = 5_000;

export class RecentEvents {
  private floor: number;
  private readonly rooms = lru<string, RoomWindow>(heldRooms, {
    dispose: (window, _roomId, reason) => {
      if (reason === 'evict' || reason === 'delete') this.floor = Math.max(this.floor, window.entries.at(-1)?.streamPosition ?? window.from);
    },
  });

  /** `startPosition`: the events stream position before this process commits anything. */
  constructor(
    private readonly storage: Repositories,
    startPosition: number,
  ) {
    this.floor = startPosition;
  }

  /** Called by the timeline for each committed event, in commit order. */
  record(roomId: string, entry: TimelineEntry): void {
    const position = entry.streamPosition!;
    let window = this.rooms.get(roomId);
    // A room not held had no event after the floor.
    if (!window) this.rooms.set(roomId, (window = { from: this.floor, entries: [] }));
    window.entries.push(entry);
    if (window.entries.length > windowSize) window.from = window.entries.shift()!.streamPosition!;
  }

  /** The room's newest events in (after, upTo], newest first, at most `limit`. */
  async newest(roomId: string, after: number, upTo: number, limit: number): Promise<TimelineEntry[]> {
    const window = this.rooms.get(roomId);
    const found: TimelineEntry[] = [];
    const entries = window?.entries ?? [];
    for (let i = entries.length - 1; i >= 0 && found.length < limit; i--) {
      const position = entries[i]!.streamPosition!;
      if (position <= after) break;
      if (position <= upTo) found.push(entries[i]!);
    }
    // Complete when `limit` were found, or when the window reaches back to `after`.
    if (found.length === limit || after >= (window?.from ?? this.floor)) return found;
    return this.storage.roomEvents.timelineBetween(roomId, after, upTo, 'b', limit);
  }

  /** The rooms among `roomIds` with events in (after, upTo]. */
  async roomsWithEventsBetween(roomIds: readonly string[], after: number, upTo: number): Promise<Set<string>> {
    const found = new Set<string>();
    const unknown: string[] = [];
    for (const roomId of roomIds) {
      const window = this.rooms.peek(roomId);
      if (!window ? after < this.floor : after < window.from) unknown.push(roomId);
      else if (window?.entries.some(({ streamPosition }) => streamPosition! > after && streamPosition! <= upTo)) found.add(roomId);
    }
    if (unknown.length > 0) for (const roomId of await this.storage.roomEvents.roomsWithEventsBetween(unknown, after, upTo)) found.add(roomId);
    return found;
  }
}
