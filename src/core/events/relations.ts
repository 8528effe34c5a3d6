/**
 * Event relationships (client-server-api "Forming relationships between events"): the `m.relates_to`
 * of an event's (cleartext) content, and the validity rules of the relation types the server
 * aggregates. "Relationships which don't match the schema … are simply ignored": a malformed
 * `m.relates_to`, or one without `rel_type` (a rich reply), is no relation here.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import type { RoomEvent } from './pdu.ts';

export interface Relation {
  relType: string;
  /** The parent event. */
  eventId: string;
  /** event_annotations "m.annotation relationship type": the annotation's `key`. */
  key?: string;
}

export function relationOf(content: JsonObject): Relation | undefined {
  const relatesTo = content['m.relates_to'];
  if (!isJsonObject(relatesTo)) return undefined;
  const { rel_type: relType, event_id: eventId, key } = relatesTo;
  if (typeof relType !== 'string' || typeof eventId !== 'string' || relType === '' || eventId === '') return undefined;
  return { relType, eventId, ...(typeof key === 'string' ? { key } : {}) };
}

/**
 * event_replacements "Validity of replacement events": same room, same sender, same type, neither a
 * state event, the original not itself an edit, and the replacement carries `m.new_content`.
 */
export function isValidReplacement(original: RoomEvent, replacement: RoomEvent): boolean {
  return (
    replacement.roomId === original.roomId &&
    replacement.sender === original.sender &&
    replacement.type === original.type &&
    original.stateKey === undefined &&
    replacement.stateKey === undefined &&
    relationOf(original.content)?.relType !== 'm.replace' &&
    relationOf(replacement.content)?.relType === 'm.replace' &&
    isJsonObject(replacement.content['m.new_content'])
  );
}

/**
 * event_replacements "Server-side aggregation of m.replace relationships": the most recent by
 * `origin_server_ts`, ties broken by the lexicographically largest event ID. Negative when `a` is
 * more recent, so sorting with it puts the most recent first.
 */
export function compareReplacements(a: Pick<RoomEvent, 'originServerTs' | 'eventId'>, b: Pick<RoomEvent, 'originServerTs' | 'eventId'>): number {
  if (a.originServerTs !== b.originServerTs) return b.originServerTs - a.originServerTs;
  return a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0;
}
