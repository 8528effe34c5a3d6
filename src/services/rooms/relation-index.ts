/**
 * The index of event relationships (client-server-api "Forming relationships between events"): every
 * event of the timeline with an `m.relates_to` gets a row in the transaction that persists it (live
 * events through the persister's hook, the room's past through the backfill hook), and a redaction
 * deletes the row of the event it redacts, since "when a child event is redacted then the relationship
 * is broken". Rejected and soft-failed events are not in the timeline, so they relate to nothing.
 *
 * Bundled aggregations are read on every path that serves events, /sync and the echo of each send
 * included, so what each parent's children add up to is cached here, per parent and for everyone
 * (the per-user parts are applied when bundling). An entry changes only when a child that is
 * aggregated arrives or goes: the commit that does it drops the entry, and a read that raced a commit
 * is not cached. An event of this server's own users is new when it commits (nothing can refer to an
 * event ID before it is known), so it is remembered as having no children: serving it costs no query.
 */
import { lru } from '../../util/lru.ts';
import { relationOf } from '../../core/events/relations.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { RelationRecord } from '../../storage/repositories/event-relations.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import type { AfterCommit, PersistHook } from './event-persister.ts';

/** The children of one parent that bundled aggregations summarise, each with its room (only the parent's counts). */
export interface RelationSummary {
  /** m.thread replies per sender: how many, and the sender's latest. */
  threadReplies: Array<{ roomId: string; sender: string; count: number; latestEventId: string; latestPosition: number }>;
  /** m.replace children of any sender: which one is valid is decided against the parent. */
  edits: Array<{ roomId: string; eventId: string }>;
  /** m.reference children in stream order. */
  references: Array<{ roomId: string; eventId: string; sender: string }>;
}

/** The relation types the server aggregates (event_annotations: m.annotation is not). */
const aggregatedTypes = new Set(['m.thread', 'm.replace', 'm.reference']);

export class RelationIndex {
  /** Per parent, its summary, or false when it has no aggregated children. */
  private readonly summaries = lru<string, RelationSummary | false>(10_000);
  /** Bumped on every change committed, so a read that raced one is not cached. */
  private changes = 0;

  /** Give this to the Timeline as a persist hook: indexes the events of each batch in its transaction. */
  readonly persistHook: PersistHook = (tx, events) => this.index(tx, events, true);
  /** Give this to the Timeline for backfilled events: the room's past, which may have children here already. */
  readonly historyHook: PersistHook = (tx, events) => this.index(tx, events, false);

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
  ) {}

  /** The summaries of those of `parentIds` that have aggregated children; from the cache where possible. */
  async summariesOf(parentIds: readonly string[]): Promise<Map<string, RelationSummary>> {
    const found = new Map<string, RelationSummary>();
    const missing: string[] = [];
    for (const id of new Set(parentIds)) {
      const cached = this.summaries.get(id);
      if (cached === undefined) missing.push(id);
      else if (cached) found.set(id, cached);
    }
    if (missing.length === 0) return found;
    const changesBefore = this.changes;
    const read = new Map<string, RelationSummary>();
    for (const row of await this.storage.eventRelations.aggregationRows(missing)) {
      let summary = read.get(row.relatesToId);
      if (!summary) read.set(row.relatesToId, (summary = { threadReplies: [], edits: [], references: [] }));
      const { roomId, sender, eventId } = row;
      if (row.relType === 'm.thread') summary.threadReplies.push({ roomId, sender, count: row.count, latestEventId: eventId, latestPosition: row.streamPosition });
      else if (row.relType === 'm.replace') summary.edits.push({ roomId, eventId });
      else summary.references.push({ roomId, eventId, sender });
    }
    for (const id of missing) {
      const summary = read.get(id);
      if (summary) found.set(id, summary);
      if (changesBefore === this.changes) this.summaries.set(id, summary ?? false);
    }
    return found;
  }

  private async index(tx: Repositories, events: Parameters<PersistHook>[1], live: boolean): Promise<Array<AfterCommit | undefined>> {
    const records: RelationRecord[] = [];
    const afterCommits: Array<AfterCommit | undefined> = [];
    for (const { appended } of events) {
      const { event, streamPosition } = appended;
      const changed: string[] = [];
      const relation = relationOf(event.content);
      if (relation && relation.eventId !== event.eventId) {
        records.push({ eventId: event.eventId, relatesToId: relation.eventId, relType: relation.relType, roomId: event.roomId, type: event.type, sender: event.sender, streamPosition, originServerTs: event.originServerTs, key: relation.key ?? null });
        if (aggregatedTypes.has(relation.relType)) changed.push(relation.eventId);
      }
      if (event.redacts !== undefined) {
        const removed = await tx.eventRelations.remove(event.redacts);
        if (removed?.relType === 'm.thread') await tx.eventRelations.refreshThread(removed.relatesToId, removed.roomId);
        if (removed && aggregatedTypes.has(removed.relType)) changed.push(removed.relatesToId);
      }
      const isNew = live && this.isLocal(event.sender);
      afterCommits.push(
        changed.length === 0 && !isNew
          ? undefined
          : () => {
              if (isNew && !this.summaries.has(event.eventId)) this.summaries.set(event.eventId, false);
              for (const parentId of changed) this.changed(parentId);
            },
      );
    }
    if (records.length === 0) return afterCommits;
    // Over federation (or in backfill) a redaction can come before the event it redacts: that event
    // relates to nothing. Redactions of this batch are recorded already.
    const others = records.filter((record) => !this.isLocal(record.sender)).map((record) => record.eventId);
    const redacted = others.length > 0 ? await tx.roomEvents.redactionsOf(others) : new Map<string, string>();
    const kept = records.filter((record) => !redacted.has(record.eventId));
    await tx.eventRelations.insert(kept);
    for (const reply of kept) if (reply.relType === 'm.thread') await tx.eventRelations.advanceThread(reply.relatesToId, reply.roomId, reply.eventId, reply.streamPosition);
    return afterCommits;
  }

  private changed(parentId: string): void {
    this.changes++;
    this.summaries.delete(parentId);
  }

  private isLocal(userId: string): boolean {
    return serverNameOf(userId as UserId) === this.serverName;
  }
}
