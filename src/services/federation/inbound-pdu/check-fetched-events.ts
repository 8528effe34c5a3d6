/**
 * Events this server asked another server for (a send_join answer's state and auth chain, the state at
 * an event from /state_ids, an auth chain from /event_auth) are not trusted: each is checked as
 * server-server-api "Checks performed on receipt of a PDU" steps 1 to 4 allow without the state before
 * it, which an outlier has not: format and room (else dropped), signatures (else dropped), hashes
 * (else redacted), then against its auth events, in auth order (else rejected). Auth events neither in
 * the answer nor stored here reject the event that cites them. They are then stored as outliers:
 * part of the auth DAG, not of the timeline.
 */
import { storedEventOf } from '../../../storage/repositories/room-events.ts';
import { authStateFromEvents, checkAuthEvents } from '../../../core/auth/auth-events.ts';
import { checkEventAuth } from '../../../core/auth/check-event-auth.ts';
import { checkPduFormat } from '../../../core/events/check-pdu-format.ts';
import { toRoomEvent, type RoomEvent } from '../../../core/events/pdu.ts';
import type { EventId, RoomId } from '../../../core/ids/identifiers.ts';
import type { RoomVersionRules } from '../../../core/room-versions/room-version-rules.ts';
import { createEventIdOf } from '../../../core/state-resolution/auth-state.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { withCheckedContentHash } from './check-hashes.ts';
import { checkSignatures, type ServerKeyLookup } from './check-signatures.ts';

export interface CheckedEvent {
  event: RoomEvent;
  rejectedReason: string | null;
}

/** Events this server already has, as auth events of the fetched ones (EventStore.localEvents fits). */
export type StoredEventLookup = (ids: readonly string[]) => Promise<ReadonlyMap<EventId, { event: RoomEvent; rejected: boolean }>>;

export interface FetchedEventsOptions {
  /** Events this server has already: left out of the result (they were checked when they arrived) but auth events of the others. */
  stored?: StoredEventLookup;
  /** The event IDs asked for: other events in the answer are ignored. */
  wanted?: ReadonlySet<string>;
}

/**
 * Checks `pdus` (see the file comment) and returns the events that passed steps 1 and 2, with their
 * rejection reason (null when allowed by their auth events).
 */
export async function checkFetchedEvents(pdus: readonly unknown[], roomId: RoomId, rules: RoomVersionRules, keys: ServerKeyLookup, options: FetchedEventsOptions = {}): Promise<Map<EventId, CheckedEvent>> {
  const { stored, wanted } = options;
  const parsed = new Map<EventId, RoomEvent>();
  for (const json of pdus) {
    let event: RoomEvent;
    try {
      event = toRoomEvent(checkPduFormat(json, rules), rules);
    } catch {
      continue;
    }
    if (event.roomId !== roomId || parsed.has(event.eventId) || (wanted && !wanted.has(event.eventId))) continue;
    parsed.set(event.eventId, event);
  }
  const createId = createEventIdOf(roomId, rules);
  const known = stored ? await stored([...new Set([...parsed.keys(), ...[...parsed.values()].flatMap((event) => event.authEventIds), ...(createId ? [createId] : [])])]) : new Map<EventId, { event: RoomEvent; rejected: boolean }>();
  for (const id of known.keys()) parsed.delete(id);
  for (const [id, event] of parsed) {
    if ((await checkSignatures(event, rules, keys)) !== null) parsed.delete(id);
    else parsed.set(id, withCheckedContentHash(event, rules).event);
  }
  const checked = new Map<EventId, CheckedEvent>();
  const lookup = (id: EventId) => checked.get(id)?.event ?? known.get(id)?.event;
  const isRejected = (id: EventId) => checked.get(id)?.rejectedReason != null || known.get(id)?.rejected === true;
  // Auth order: an event once all its auth events are decided (those missing from the answer reject it).
  let pending = [...parsed.values()];
  while (pending.length > 0) {
    const ready = pending.filter((event) => event.authEventIds.every((id) => checked.has(id) || !parsed.has(id)));
    if (ready.length === 0) break;
    for (const event of ready.sort((a, b) => a.depth - b.depth)) {
      const listed = checkAuthEvents(event, lookup, rules, { isRejected });
      const create = createId ? lookup(createId) : undefined;
      const verdict = listed.allowed ? checkEventAuth(event, authStateFromEvents(event.authEventIds.flatMap((id) => lookup(id) ?? []), create), rules) : listed;
      checked.set(event.eventId, { event, rejectedReason: verdict.allowed ? null : verdict.reason });
    }
    pending = pending.filter((event) => !checked.has(event.eventId));
  }
  return checked;
}

/** Stores the checked events this server does not have yet as outliers (call inside a transaction). */
export async function storeOutliers(tx: Repositories, checked: Iterable<CheckedEvent>): Promise<void> {
  const events = [...checked];
  const known = await tx.roomEvents.events(events.map(({ event }) => event.eventId));
  await tx.roomEvents.insertEvents(
    events
      .filter(({ event }) => !known.has(event.eventId))
      .map(({ event, rejectedReason }) => storedEventOf(event, { streamPosition: null, outlier: true, rejectedReason, softFailed: false, stateBeforeGroup: null, stateAfterGroup: null })),
    // Another request may have stored some of them since.
    { ignoreKnown: true },
  );
}
