/**
 * Keeps the server-side search index (client-server-api "Server Side Search") in step with the
 * timeline: a persist hook, so an event is searchable exactly when it is committed, local or received
 * (the persister hands hooks only events in the timeline: rejected and soft-failed ones never are).
 * A redaction takes its event out of the index; an event whose redaction is already stored (a
 * redaction can arrive over federation before its event, or in the same batch) is never put in.
 */
import { searchableText } from '../../core/search/searchable-text.ts';
import type { SearchEntry } from '../../storage/repositories/event-search.ts';
import type { PersistHook } from '../rooms/timeline.ts';

export const searchIndexHook: PersistHook = async (tx, events) => {
  const entries: SearchEntry[] = [];
  const redacted: string[] = [];
  for (const { appended: { event, streamPosition } } of events) {
    if (event.redacts !== undefined) redacted.push(event.redacts);
    const searchable = searchableText(event);
    if (searchable) entries.push({ eventId: event.eventId, roomId: event.roomId, sender: event.sender, key: searchable.key, streamPosition, text: searchable.text });
  }
  if (entries.length > 0) {
    await tx.eventSearch.index(entries);
    // In SQL rather than read first: the batch's transaction then reads nothing back (sqlite-client.ts).
    await tx.eventSearch.removeRedacted(entries.map((entry) => entry.eventId));
  }
  if (redacted.length > 0) await tx.eventSearch.remove(redacted);
};
