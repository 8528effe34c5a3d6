/**
 * Bundled aggregations (client-server-api "Aggregations of child events"): the `unsigned.m.relations`
 * of the events served to a user, from the cached summaries of the relation index plus what depends
 * on the user (their participation in threads, the users they ignore: "Servers must additionally
 * ensure they do not consider child events from ignored users"). Aggregated:
 * - m.thread (threading "Server-side aggregation of m.thread relationships"): `latest_event` served as
 *   the root is, with its own aggregations, `count` and `current_user_participated`;
 * - m.replace (event_replacements, v1.7): the most recent valid edit, served as normal; none for a
 *   redacted original;
 * - m.reference (reference_relations): a `chunk` of the children's event IDs.
 * m.annotation is not aggregated (event_annotations). As in Synapse, edits and annotations have none,
 * and an event that relates to another is no thread root.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import type { RoomEvent } from '../../core/events/pdu.ts';
import { compareReplacements, isValidReplacement, relationOf } from '../../core/events/relations.ts';
import type { EventId } from '../../core/ids/identifiers.ts';
import type { EventStore } from './event-store.ts';
import type { IgnoredUsers } from './ignored-users.ts';
import type { RelationIndex } from './relation-index.ts';

/** Serves bundled events (a thread's latest event, an edit) the way their parent is served. */
export type FormatBundled = (events: readonly RoomEvent[]) => Promise<JsonObject[]>;

interface Pending {
  thread?: { latestEventId: string; count: number; participated: boolean };
  editIds: string[];
  references: string[];
}

export class BundledAggregations {
  constructor(
    private readonly index: RelationIndex,
    private readonly eventStore: EventStore,
    private readonly ignoredUsers: IgnoredUsers,
  ) {}

  /** For each of `events` that has aggregations for `userId`, its `m.relations`; `redacted` are served redacted. */
  async bundle(userId: string, events: readonly RoomEvent[], redacted: ReadonlySet<string>, format: FormatBundled): Promise<Map<string, JsonObject>> {
    const bundles = new Map<string, JsonObject>();
    // "State events do not currently receive bundled aggregations."
    const parents = events.filter((event) => event.stateKey === undefined && !isLeaf(event, redacted));
    if (parents.length === 0) return bundles;
    const summaries = await this.index.summariesOf(parents.map((event) => event.eventId));
    if (summaries.size === 0) return bundles;
    const ignored = await this.ignoredUsers.of(userId);

    const pending = new Map<RoomEvent, Pending>();
    for (const parent of parents) {
      const summary = summaries.get(parent.eventId);
      if (!summary) continue;
      const inRoom = <T extends { roomId: string }>(children: readonly T[]) => children.filter((child) => child.roomId === parent.roomId);
      const entry: Pending = { editIds: [], references: [] };
      const replies = inRoom(summary.threadReplies).filter((reply) => !ignored.has(reply.sender));
      if (replies.length > 0 && (redacted.has(parent.eventId) || relationOf(parent.content) === undefined)) {
        const latest = replies.reduce((a, b) => (b.latestPosition > a.latestPosition ? b : a));
        entry.thread = {
          latestEventId: latest.latestEventId,
          count: replies.reduce((sum, reply) => sum + reply.count, 0),
          participated: parent.sender === userId || replies.some((reply) => reply.sender === userId),
        };
      }
      // event_replacements: "If the original event is redacted, any m.replace relationship should not be bundled with it."
      if (!redacted.has(parent.eventId)) entry.editIds = inRoom(summary.edits).map((edit) => edit.eventId);
      entry.references = inRoom(summary.references)
        .filter((reference) => !ignored.has(reference.sender))
        .map((reference) => reference.eventId);
      pending.set(parent, entry);
    }

    const wanted = [...pending.values()].flatMap((entry) => [...(entry.thread ? [entry.thread.latestEventId] : []), ...entry.editIds]);
    const children = await this.eventStore.getEvents(wanted as EventId[]);
    const shown = new Map<RoomEvent, { latest?: RoomEvent; edit?: RoomEvent }>();
    for (const [parent, entry] of pending) {
      const edits = entry.editIds.flatMap((id) => children.get(id as EventId) ?? []).filter((edit) => isValidReplacement(parent, edit));
      shown.set(parent, { latest: entry.thread && children.get(entry.thread.latestEventId as EventId), edit: edits.sort(compareReplacements)[0] });
    }
    const nested = [...new Set([...shown.values()].flatMap(({ latest, edit }) => [...(latest ? [latest] : []), ...(edit ? [edit] : [])]))];
    const formatted = new Map<string, JsonObject>();
    if (nested.length > 0) (await format(nested)).forEach((json, i) => formatted.set(nested[i]!.eventId, json));

    for (const [parent, entry] of pending) {
      const { latest, edit } = shown.get(parent)!;
      const relations: JsonObject = {};
      if (entry.thread && latest) relations['m.thread'] = { latest_event: formatted.get(latest.eventId)!, count: entry.thread.count, current_user_participated: entry.thread.participated };
      if (edit) relations['m.replace'] = formatted.get(edit.eventId)!;
      if (entry.references.length > 0) relations['m.reference'] = { chunk: entry.references.map((eventId) => ({ event_id: eventId })) };
      if (Object.keys(relations).length > 0) bundles.set(parent.eventId, relations);
    }
    return bundles;
  }
}

/** An edit or an annotation: children of nothing aggregated (a redacted event has no relation left). */
function isLeaf(event: RoomEvent, redacted: ReadonlySet<string>): boolean {
  if (redacted.has(event.eventId)) return false;
  const relType = relationOf(event.content)?.relType;
  return relType === 'm.replace' || relType === 'm.annotation';
}
