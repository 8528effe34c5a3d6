/** Rooms, their events, forward extremities and materialised current state. */
import type { Knex } from 'knex';
import type { RoomEvent } from '../../core/events/pdu.ts';
import { resultIgnored, type Database } from '../database.ts';

export interface RoomRecord {
  roomId: string;
  roomVersion: string;
  creator: string | null;
  isPublic: boolean;
  createdTs: number;
  currentStateGroup: number | null;
}

export interface StoredEvent {
  eventId: string;
  roomId: string;
  type: string;
  stateKey: string | null;
  sender: string;
  depth: number;
  originServerTs: number;
  /** Position on the events stream; null for outliers, which are not part of the timeline. */
  streamPosition: number | null;
  pdu: Record<string, unknown>;
  outlier: boolean;
  rejectedReason: string | null;
  softFailed: boolean;
  stateBeforeGroup: number | null;
  stateAfterGroup: number | null;
}

/** The row of `event`: its own fields, and where it stands in the room (`placement`). */
export function storedEventOf(event: RoomEvent, placement: Pick<StoredEvent, 'streamPosition' | 'outlier' | 'rejectedReason' | 'softFailed' | 'stateBeforeGroup' | 'stateAfterGroup'>): StoredEvent {
  const { eventId, roomId, type, sender, depth, originServerTs, pdu } = event;
  return { eventId, roomId, type, stateKey: event.stateKey ?? null, sender, depth, originServerTs, pdu, ...placement };
}

/** A timeline row without its PDU: callers read the events themselves through the event cache. */
export type TimelineEntry = Pick<StoredEvent, 'eventId' | 'streamPosition' | 'stateBeforeGroup' | 'stateAfterGroup'>;

export interface CurrentStateChange {
  type: string;
  stateKey: string;
  /** null removes the entry (a state reset). */
  eventId: string | null;
  membership?: string | null;
}

interface EventRow {
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  origin_server_ts: number;
  stream_position: number | null;
  pdu_json: string;
  outlier: boolean | number;
  rejected_reason: string | null;
  soft_failed: boolean | number;
  state_before_group: number | null;
  state_after_group: number | null;
}

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));

const toEvent = (row: EventRow): StoredEvent => ({
  eventId: row.event_id,
  roomId: row.room_id,
  type: row.type,
  stateKey: row.state_key,
  sender: row.sender,
  depth: Number(row.depth),
  originServerTs: Number(row.origin_server_ts),
  streamPosition: nullableNumber(row.stream_position),
  pdu: JSON.parse(row.pdu_json) as Record<string, unknown>,
  outlier: Boolean(row.outlier),
  rejectedReason: row.rejected_reason,
  softFailed: Boolean(row.soft_failed),
  stateBeforeGroup: nullableNumber(row.state_before_group),
  stateAfterGroup: nullableNumber(row.state_after_group),
});

/** SQLite allows a limited number of bound parameters per statement. */
const chunkSize = 500;

export class RoomEventRepository {
  constructor(private readonly db: Database) {}

  async createRoom(room: RoomRecord): Promise<void> {
    await this.db('rooms').insert({
      room_id: room.roomId,
      room_version: room.roomVersion,
      creator: room.creator,
      is_public: room.isPublic,
      created_ts: room.createdTs,
      current_state_group: room.currentStateGroup,
    });
  }

  async setCurrentStateGroup(roomId: string, groupId: number): Promise<void> {
    await this.db('rooms').where('room_id', roomId).update({ current_state_group: groupId }).options(resultIgnored);
  }

  async setPublic(roomId: string, isPublic: boolean): Promise<void> {
    await this.db('rooms').where('room_id', roomId).update({ is_public: isPublic });
  }

  async setJoinRule(roomId: string, joinRule: string): Promise<void> {
    await this.db('rooms').where('room_id', roomId).update({ join_rule: joinRule }).options(resultIgnored);
  }

  /**
   * The users joined to a room `userId` is joined to, or to a public room (join rule public or
   * published in the directory): whom the user directory shows `userId`.
   */
  async visibleUsers(userId: string): Promise<string[]> {
    const rows = await this.db('current_state as cs')
      .distinct('cs.state_key')
      .where({ 'cs.type': 'm.room.member', 'cs.membership': 'join' })
      .andWhere((scope) =>
        scope
          .whereIn('cs.room_id', this.db('current_state').select('room_id').where({ type: 'm.room.member', state_key: userId, membership: 'join' }))
          .orWhereIn('cs.room_id', this.db('rooms').select('room_id').where('join_rule', 'public').orWhere('is_public', true)),
      );
    return rows.map((row: { state_key: string }) => row.state_key);
  }

  /** The rooms published in the room directory. */
  async publicRoomIds(): Promise<string[]> {
    const rows = await this.db('rooms').where('is_public', true).orderBy('room_id').select('room_id');
    return rows.map((row: { room_id: string }) => row.room_id);
  }

  async room(roomId: string): Promise<RoomRecord | undefined> {
    const row = await this.db('rooms').where('room_id', roomId).first();
    return (
      row && {
        roomId: row.room_id,
        roomVersion: row.room_version,
        creator: row.creator,
        isPublic: Boolean(row.is_public),
        createdTs: Number(row.created_ts),
        currentStateGroup: nullableNumber(row.current_state_group),
      }
    );
  }

  async insertEvent(event: StoredEvent): Promise<void> {
    await this.insertEvents([event]);
  }

  /**
   * Several events, in few statements (the event persister's batches). With
   * `ignoreKnown`, an event stored meanwhile is left as it is (outliers fetched by two requests at once).
   */
  async insertEvents(events: readonly StoredEvent[], options: { ignoreKnown?: boolean } = {}): Promise<void> {
    const rows = events.map((event) => ({
      event_id: event.eventId,
      room_id: event.roomId,
      type: event.type,
      state_key: event.stateKey,
      sender: event.sender,
      depth: event.depth,
      origin_server_ts: event.originServerTs,
      stream_position: event.streamPosition,
      pdu_json: JSON.stringify(event.pdu),
      outlier: event.outlier,
      rejected_reason: event.rejectedReason,
      soft_failed: event.softFailed,
      state_before_group: event.stateBeforeGroup,
      state_after_group: event.stateAfterGroup,
    }));
    // 14 bound parameters per event row: chunks stay far below SQLite's limit on parameters.
    const ignoring = (insert: Knex.QueryBuilder, key: string[]) => (options.ignoreKnown ? insert.onConflict(key).ignore() : insert);
    for (let i = 0; i < rows.length; i += 50) await ignoring(this.db('events').insert(rows.slice(i, i + 50)), ['event_id']).options(resultIgnored);
  }

  /**
   * An outlier found to be part of the room's history (backfill) or arriving as a new event: its place
   * in the timeline and the state around it. Returns whether the event was an outlier still.
   */
  async promoteOutlier(event: Pick<StoredEvent, 'eventId' | 'streamPosition' | 'pdu' | 'rejectedReason' | 'stateBeforeGroup' | 'stateAfterGroup'> & { softFailed?: boolean }): Promise<boolean> {
    const updated = await this.db('events').where({ event_id: event.eventId, outlier: true }).update({
      stream_position: event.streamPosition,
      pdu_json: JSON.stringify(event.pdu),
      outlier: false,
      rejected_reason: event.rejectedReason,
      soft_failed: event.softFailed ?? false,
      state_before_group: event.stateBeforeGroup,
      state_after_group: event.stateAfterGroup,
    });
    return Number(updated) > 0;
  }

  /** The stored events among `eventIds`; unknown IDs are simply absent. */
  async events(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    const found = new Map<string, StoredEvent>();
    for (let i = 0; i < eventIds.length; i += chunkSize) {
      const rows = await this.db<EventRow>('events').whereIn('event_id', eventIds.slice(i, i + chunkSize));
      for (const row of rows) found.set(row.event_id, toEvent(row));
    }
    return found;
  }

  /** The room's latest timeline events before `beforePosition` (all when absent), newest first. */
  async latestEvents(roomId: string, limit: number, beforePosition?: number): Promise<StoredEvent[]> {
    const query = this.db<EventRow>('events').where('room_id', roomId).whereNotNull('stream_position');
    if (beforePosition !== undefined) query.andWhere('stream_position', '<', beforePosition);
    return (await query.orderBy('stream_position', 'desc').limit(limit)).map(toEvent);
  }

  /**
   * Timeline events of the room with stream positions in (`after`, `upTo`], oldest first when `dir` is
   * 'f', newest first when 'b'; at most `limit`.
   */
  async timelineBetween(roomId: string, after: number, upTo: number, dir: 'f' | 'b', limit: number): Promise<TimelineEntry[]> {
    const rows: Array<Pick<EventRow, 'event_id' | 'stream_position' | 'state_before_group' | 'state_after_group'>> = await this.db<EventRow>('events')
      .select('event_id', 'stream_position', 'state_before_group', 'state_after_group')
      .where('room_id', roomId)
      .andWhere('stream_position', '>', after)
      .andWhere('stream_position', '<=', upTo)
      .orderBy('stream_position', dir === 'f' ? 'asc' : 'desc')
      .limit(limit);
    return rows.map((row) => ({
      eventId: row.event_id,
      streamPosition: row.stream_position === null ? null : Number(row.stream_position),
      stateBeforeGroup: row.state_before_group === null ? null : Number(row.state_before_group),
      stateAfterGroup: row.state_after_group === null ? null : Number(row.state_after_group),
    }));
  }

  /** The rooms with timeline events in (`after`, `upTo`] among `roomIds`. */
  async roomsWithEventsBetween(roomIds: readonly string[], after: number, upTo: number): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < roomIds.length; i += chunkSize) {
      const rows = await this.db('events')
        .whereIn('room_id', roomIds.slice(i, i + chunkSize))
        .andWhere('stream_position', '>', after)
        .andWhere('stream_position', '<=', upTo)
        .distinct('room_id');
      for (const row of rows as Array<{ room_id: string }>) found.add(row.room_id);
    }
    return found;
  }

  /** The room's timeline event closest to `ts` in direction `dir` (at or after for 'f', at or before for 'b'). */
  async closestToTimestamp(roomId: string, ts: number, dir: 'f' | 'b', skip: number): Promise<StoredEvent | undefined> {
    const row = await this.db<EventRow>('events')
      .where('room_id', roomId)
      .whereNotNull('stream_position')
      .andWhere('origin_server_ts', dir === 'f' ? '>=' : '<=', ts)
      .orderBy([{ column: 'origin_server_ts', order: dir === 'f' ? 'asc' : 'desc' }, { column: 'stream_position', order: dir === 'f' ? 'asc' : 'desc' }])
      .offset(skip)
      .first();
    return row && toEvent(row);
  }

  async recordRedaction(redacts: string, eventId: string): Promise<void> {
    await this.db('event_redactions').insert({ redacts, event_id: eventId }).onConflict(['redacts', 'event_id']).ignore().options(resultIgnored);
  }

  /** For each of `eventIds` that has been redacted, the first redaction's event ID. */
  async redactionsOf(eventIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < eventIds.length; i += chunkSize) {
      const rows = await this.db('event_redactions').whereIn('redacts', eventIds.slice(i, i + chunkSize)).orderBy('event_id');
      for (const row of rows as Array<{ redacts: string; event_id: string }>) if (!found.has(row.redacts)) found.set(row.redacts, row.event_id);
    }
    return found;
  }

  async recordTransactionIds(records: ReadonlyArray<{ eventId: string; userId: string; deviceId: string; txnId: string }>): Promise<void> {
    if (records.length === 0) return;
    // 4 bindings a row: 200 rows stay far below both engines' limits.
    for (let i = 0; i < records.length; i += 200) {
      await this.db('event_transaction_ids').insert(records.slice(i, i + 200).map((r) => ({ event_id: r.eventId, user_id: r.userId, device_id: r.deviceId, txn_id: r.txnId }))).options(resultIgnored);
    }
  }

  /** The transaction IDs `deviceId` of `userId` sent any of `eventIds` with. */
  async transactionIds(eventIds: readonly string[], userId: string, deviceId: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < eventIds.length; i += chunkSize) {
      const rows = await this.db('event_transaction_ids').whereIn('event_id', eventIds.slice(i, i + chunkSize)).andWhere({ user_id: userId, device_id: deviceId });
      for (const row of rows as Array<{ event_id: string; txn_id: string }>) found.set(row.event_id, row.txn_id);
    }
    return found;
  }

  async forget(userId: string, roomId: string): Promise<void> {
    await this.db('forgotten_rooms').insert({ user_id: userId, room_id: roomId }).onConflict(['user_id', 'room_id']).ignore();
  }

  /** A user who joins again un-forgets the room. */
  async unforget(userId: string, roomId: string): Promise<void> {
    await this.db('forgotten_rooms').where({ user_id: userId, room_id: roomId }).delete();
  }

  async forgottenRooms(userId: string): Promise<Set<string>> {
    const rows = await this.db('forgotten_rooms').where('user_id', userId).select('room_id');
    return new Set(rows.map((row: { room_id: string }) => row.room_id));
  }

  /**
   * The newest position of the events stream whose event is older than `ts` (origin_server_ts), or 0.
   * Positions grow with time, so a bisection over the stream_position index finds it in a few dozen
   * lookups, without reading events by time.
   */
  async lastPositionBefore(ts: number): Promise<number> {
    const at = async (position: number) => {
      const row = await this.db<EventRow>('events').select('stream_position', 'origin_server_ts').where('stream_position', '>=', position).orderBy('stream_position').first();
      return row && { position: Number(row.stream_position), ts: Number(row.origin_server_ts) };
    };
    const newest = await this.db<EventRow>('events').max({ position: 'stream_position' }).first();
    let low = 0;
    let high = Number((newest as { position?: number | string } | undefined)?.position ?? 0);
    // Invariant: every event at or below `low` is older than ts; some event at or after `high` is not (unless high is the newest).
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      const found = await at(middle);
      if (found && found.ts < ts) low = found.position;
      else high = middle - 1;
    }
    return low;
  }

  async forwardExtremities(roomId: string): Promise<string[]> {
    return (await this.db('forward_extremities').where('room_id', roomId).select('event_id').orderBy('event_id')).map((row: { event_id: string }) => row.event_id);
  }

  /** A new event replaces the extremities it references and becomes one itself. */
  async advanceForwardExtremities(roomId: string, eventId: string, prevEventIds: readonly string[]): Promise<void> {
    await this.replaceForwardExtremities(
      prevEventIds.map((id) => ({ roomId, eventId: id })),
      [{ roomId, eventId }],
    );
  }

  /**
   * Removes `removed` from the extremities and adds `added`, for several new events (of any rooms) at
   * once: `removed` is every event they reference, `added` those of them no other of them references.
   */
  async replaceForwardExtremities(removed: ReadonlyArray<{ roomId: string; eventId: string }>, added: ReadonlyArray<{ roomId: string; eventId: string }>): Promise<void> {
    for (let i = 0; i < removed.length; i += chunkSize) {
      const pairs = removed.slice(i, i + chunkSize).map(({ roomId, eventId }) => [roomId, eventId]);
      await this.db('forward_extremities').whereIn(['room_id', 'event_id'], pairs).delete().options(resultIgnored);
    }
    for (let i = 0; i < added.length; i += chunkSize) {
      const rows = added.slice(i, i + chunkSize).map(({ roomId, eventId }) => ({ room_id: roomId, event_id: eventId }));
      await this.db('forward_extremities').insert(rows).onConflict(['room_id', 'event_id']).ignore().options(resultIgnored);
    }
  }

  /** The room's current state: `${type}\u0000${state_key}` → event ID. */
  async currentState(roomId: string): Promise<Map<string, string>> {
    const rows = await this.db('current_state').where('room_id', roomId).select('type', 'state_key', 'event_id');
    return new Map(rows.map((row: { type: string; state_key: string; event_id: string }) => [`${row.type}\u0000${row.state_key}`, row.event_id]));
  }

  async applyCurrentStateChanges(roomId: string, changes: readonly CurrentStateChange[]): Promise<void> {
    for (const change of changes) {
      const where = { room_id: roomId, type: change.type, state_key: change.stateKey };
      if (change.eventId === null) await this.db('current_state').where(where).delete().options(resultIgnored);
      else await this.db('current_state').insert({ ...where, event_id: change.eventId, membership: change.membership ?? null }).onConflict(['room_id', 'type', 'state_key']).merge(['event_id', 'membership']).options(resultIgnored);
    }
  }

  /** Rooms where the user's current membership is one of `memberships`. */
  async roomsOfUser(userId: string, memberships: readonly string[]): Promise<Array<{ roomId: string; membership: string }>> {
    const rows = await this.db('current_state').where({ type: 'm.room.member', state_key: userId }).whereIn('membership', memberships).select('room_id', 'membership');
    return rows.map((row: { room_id: string; membership: string }) => ({ roomId: row.room_id, membership: row.membership }));
  }
}
