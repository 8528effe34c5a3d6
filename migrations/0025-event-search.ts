import type { Knex } from 'knex';
import { searchableText } from '../src/core/search/searchable-text.ts';

/**
 * The full-text index of server-side search (client-server-api "Server Side Search"): one row per
 * searchable timeline event that is not redacted, with its one searchable text (searchable-text.ts).
 * Both engines write and delete the same rows; each indexes `value` its own way:
 *   - SQLite: an FTS5 table over this one (external content, kept in step by triggers);
 *   - PostgreSQL: a generated tsvector column with a GIN index.
 * Both tokenise the same way: words split at punctuation and spaces, case-folded, no stemming, no stop
 * words, diacritics kept (FTS5 unicode61 with remove_diacritics 0, PostgreSQL's 'simple' configuration).
 * Rooms speak every language: 'english' would stem other languages' words wrongly and drop English stop
 * words (a search for "who" or "to be" finds nothing), and SQLite has no counterpart to it, so a search
 * would match differently on the two engines. Queries match word prefixes instead, which covers plurals
 * and most inflections.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('event_search', (table) => {
    // The FTS5 table's rowid: an INTEGER PRIMARY KEY, so VACUUM cannot renumber it under the index.
    table.increments('id');
    table.string('event_id', 255).notNullable().unique();
    table.string('room_id', 255).notNullable();
    table.string('sender', 255).notNullable();
    // The spec's key: content.body, content.name or content.topic.
    table.string('key', 32).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.text('value').notNullable();
    table.index(['room_id', 'stream_position']);
  });
  if (db.client.config.client === 'pg') {
    await db.raw(`alter table event_search add column vector tsvector generated always as (to_tsvector('simple', value)) stored`);
    await db.raw('create index event_search_vector on event_search using gin (vector)');
  } else {
    await db.raw(`create virtual table event_search_fts using fts5(value, content='event_search', content_rowid='id', tokenize='unicode61 remove_diacritics 0')`);
    await db.raw('create trigger event_search_insert after insert on event_search begin insert into event_search_fts(rowid, value) values (new.id, new.value); end');
    // Rows are never updated: an indexed text is only ever removed (redaction).
    await db.raw(`create trigger event_search_delete after delete on event_search begin insert into event_search_fts(event_search_fts, rowid, value) values ('delete', old.id, old.value); end`);
  }
  await indexStoredEvents(db);
}

/** Fills the index from the events already stored: the timeline's searchable events that are not redacted. */
async function indexStoredEvents(db: Knex): Promise<void> {
  let after = -Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows: Array<{ event_id: string; room_id: string; sender: string; state_key: string | null; type: string; stream_position: number | string; pdu_json: string }> = await db('events')
      .select('event_id', 'room_id', 'sender', 'type', 'state_key', 'stream_position', 'pdu_json')
      .whereIn('type', ['m.room.message', 'm.room.name', 'm.room.topic'])
      .where('stream_position', '>', after)
      .whereNull('rejected_reason')
      .where('soft_failed', false)
      .whereNotIn('event_id', db('event_redactions').select('redacts'))
      .orderBy('stream_position')
      .limit(500);
    if (rows.length === 0) return;
    const entries = rows.flatMap((row) => {
      const content = (JSON.parse(row.pdu_json) as { content?: unknown }).content;
      const searchable = typeof content === 'object' && content !== null ? searchableText({ type: row.type, stateKey: row.state_key ?? undefined, content: content as Record<string, unknown> }) : undefined;
      return searchable ? [{ event_id: row.event_id, room_id: row.room_id, sender: row.sender, key: searchable.key, stream_position: row.stream_position, value: searchable.text.replaceAll('\u0000', ' ') }] : [];
    });
    // PostgreSQL text cannot hold NUL. 6 bindings a row: 100 rows stay far below both engines' limits.
    for (let i = 0; i < entries.length; i += 100) await db('event_search').insert(entries.slice(i, i + 100));
    after = Number(rows.at(-1)!.stream_position);
  }
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client !== 'pg') {
    await db.raw('drop trigger event_search_delete');
    await db.raw('drop trigger event_search_insert');
    await db.raw('drop table event_search_fts');
  }
  await db.schema.dropTable('event_search');
}
