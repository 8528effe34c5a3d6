/**
 * The full-text index of server-side search (migration 0025): rows are written and deleted the same way
 * on both engines; matching and ranking are each engine's own, in the two small branches below.
 *
 * User terms never reach either query language as syntax: they are cut into words (as the engine's
 * tokenizer would), and each word goes into the query quoted, as a prefix ("word" * in FTS5,
 * 'word':* in tsquery), all of them required. So `"foo OR` or `a*` are just the words foo, or and a.
 *
 * The rank depends on the event's text and the words only, never on the rest of the index (FTS5's bm25
 * would: its scores move whenever an event is indexed), so a rank stays the same between two pages of
 * results and (rank, stream position) orders them stably. PostgreSQL: ts_rank normalised by the
 * length of the text; SQLite: the number of matches over log2(words + 1), the same idea.
 */
import type { Knex } from 'knex';
import type { SearchKey } from '../../core/search/searchable-text.ts';
import { engineOf, resultIgnored, type Database } from '../database.ts';

export interface SearchEntry {
  eventId: string;
  roomId: string;
  sender: string;
  key: SearchKey;
  streamPosition: number;
  text: string;
}

/** Where a page of results ends: the next page starts after it in the query's order. */
export interface SearchCursor {
  rank: number;
  streamPosition: number;
}

export interface SearchCriteria {
  /** The words of the search term, from `words()`; an event must contain a word starting with each. */
  words: readonly string[];
  keys: readonly SearchKey[];
  roomIds: readonly string[];
  senders?: readonly string[];
  notSenders?: readonly string[];
}

export interface SearchPageRequest extends SearchCriteria {
  /** rank: the highest rank first; recent: the newest first. Ties (and recent) by stream position, newest first. */
  orderBy: 'rank' | 'recent';
  after?: SearchCursor;
  limit: number;
}

export interface SearchHit {
  eventId: string;
  roomId: string;
  streamPosition: number;
  rank: number;
}

/** PostgreSQL text cannot hold NUL (a message may): it separates words like any space. */
const withoutNul = (text: string) => text.replaceAll('\u0000', ' ');

export class EventSearchRepository {
  constructor(private readonly db: Database) {}

  async index(entries: readonly SearchEntry[]): Promise<void> {
    const rows = entries.map((entry) => ({ event_id: entry.eventId, room_id: entry.roomId, sender: entry.sender, key: entry.key, stream_position: entry.streamPosition, value: withoutNul(entry.text) }));
    // 6 bindings a row; an event indexed already (a retried batch) keeps its row.
    for (let i = 0; i < rows.length; i += 100) await this.db('event_search').insert(rows.slice(i, i + 100)).onConflict('event_id').ignore().options(resultIgnored);
  }

  async remove(eventIds: readonly string[]): Promise<void> {
    for (let i = 0; i < eventIds.length; i += 500) await this.db('event_search').whereIn('event_id', eventIds.slice(i, i + 500)).delete().options(resultIgnored);
  }

  /** Removes the entries of those of `eventIds` that have been redacted (a redaction can arrive before its event). */
  async removeRedacted(eventIds: readonly string[]): Promise<void> {
    for (let i = 0; i < eventIds.length; i += 500) {
      const redacted = this.db('event_redactions').whereIn('redacts', eventIds.slice(i, i + 500)).select('redacts');
      await this.db('event_search').whereIn('event_id', redacted).delete().options(resultIgnored);
    }
  }

  /** The words of a search term as the engine tokenises text: what is matched, and what clients highlight. */
  async words(term: string): Promise<string[]> {
    if (engineOf(this.db) === 'postgres') {
      const { rows } = (await this.db.raw(`select tsvector_to_array(to_tsvector('simple', ?)) as words`, [withoutNul(term)])) as { rows: Array<{ words: string[] }> };
      return rows[0]?.words ?? [];
    }
    // FTS5 unicode61: letters, numbers and private-use characters make words; the rest separates them.
    return [...new Set(term.toLowerCase().match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? [])];
  }

  /** A page of matching events in the requested order, after `after`. */
  async search(request: SearchPageRequest): Promise<SearchHit[]> {
    if (request.words.length === 0 || request.keys.length === 0 || request.roomIds.length === 0) return [];
    const query = this.db.select('*').from(this.matches(request).as('hits'));
    const { after } = request;
    if (request.orderBy === 'rank') {
      if (after) query.where((scope) => scope.where('rank', '<', after.rank).orWhere((tie) => tie.where('rank', after.rank).andWhere('stream_position', '<', after.streamPosition)));
      query.orderBy([{ column: 'rank', order: 'desc' }, { column: 'stream_position', order: 'desc' }]);
    } else {
      if (after) query.where('stream_position', '<', after.streamPosition);
      query.orderBy('stream_position', 'desc');
    }
    const rows = (await query.limit(request.limit)) as Array<{ event_id: string; room_id: string; stream_position: number | string; rank: number | string }>;
    return rows.map((row) => ({ eventId: row.event_id, roomId: row.room_id, streamPosition: Number(row.stream_position), rank: Number(row.rank) }));
  }

  /** How many events match (ignoring who may see them: the spec's count is "approximate"). */
  async count(criteria: SearchCriteria): Promise<number> {
    if (criteria.words.length === 0 || criteria.keys.length === 0 || criteria.roomIds.length === 0) return 0;
    const [row] = (await this.db.count({ count: '*' }).from(this.matches(criteria, { ranked: false }).as('hits'))) as Array<{ count: number | string }>;
    return Number(row?.count ?? 0);
  }

  /** The matching rows (event_id, room_id, stream_position and, when ranked, rank): the one engine-specific query. */
  private matches(criteria: SearchCriteria, options = { ranked: true }): Knex.QueryBuilder {
    let query: Knex.QueryBuilder;
    if (engineOf(this.db) === 'postgres') {
      const tsquery = criteria.words.map((word) => `'${word.replaceAll('\\', '\\\\').replaceAll("'", "''")}':*`).join(' & ');
      query = this.db('event_search as es').whereRaw('es.vector @@ cast(? as tsquery)', [tsquery]);
      if (options.ranked) query.select(this.db.raw('ts_rank(es.vector, cast(? as tsquery), 1)::float8 as rank', [tsquery]));
    } else {
      const match = criteria.words.map((word) => `"${word.replaceAll('"', '""')}" *`).join(' ');
      query = this.db('event_search_fts').join('event_search as es', 'es.id', 'event_search_fts.rowid').whereRaw('event_search_fts match ?', [match]);
      // highlight() marks each match with one character: the marked text is longer by the number of matches.
      const matchCount = `length(highlight(event_search_fts, 0, char(1), '')) - length(es.value)`;
      const wordCount = `length(es.value) - length(replace(es.value, ' ', '')) + 1`;
      if (options.ranked) query.select(this.db.raw(`cast(${matchCount} as real) / log2(${wordCount} + 1) as rank`));
    }
    query.select('es.event_id', 'es.room_id', 'es.stream_position').whereIn('es.key', criteria.keys).whereIn('es.room_id', criteria.roomIds);
    // User IDs from a filter: one with a NUL matches nobody, and must not fail the query either.
    if (criteria.senders) query.whereIn('es.sender', criteria.senders.map(withoutNul));
    if (criteria.notSenders?.length) query.whereNotIn('es.sender', criteria.notSenders.map(withoutNul));
    return query;
  }
}
