/**
 * The user directory's listing and search index (tables user_directory, user_directory_search,
 * user_directory_rooms). A listed user's words (of their user ID and display name, folded to NFKC
 * lowercase) are rows of user_directory_search, so a search is one query of prefix LIKEs on an index
 * instead of a pass over every profile; which users a searcher may see is decided in the same query
 * from the current memberships (current_state) and whether their rooms are public.
 */
import type { Knex } from 'knex';
import { engineOf, type Database } from '../database.ts';

export interface DirectoryEntry {
  userId: string;
  isLocal: boolean;
  displayName: string | null;
  avatarUrl: string | null;
}

export interface DirectorySearch {
  searcher: string;
  term: string;
  limit: number;
  /**
   * Whom the searcher may find: 'all' every listed user who is local or in a room here (Synapse's
   * search_all_users), 'related' only those sharing a room with them or joined to a public room.
   */
  scope: 'all' | 'related';
  /** Local users first (Synapse's prefer_local_users). */
  preferLocal: boolean;
  /** Users never listed (such as the server notices user). */
  hidden: readonly string[];
}

interface Row {
  user_id: string;
  is_local: boolean | number;
  display_name: string | null;
  avatar_url: string | null;
}

/** Words are indexed up to this length; a longer search word is cut the same way. */
const maxWordLength = 64;
/** Words of a search term that are matched; more narrow the search no further in practice. */
const maxSearchWords = 8;
/** Users per `IN (...)` list, well under SQLite's bound-parameter limit. */
const chunk = 500;

/** The form names and search terms are compared in: compatibility-normalised and lowercase. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The words of a name, user ID or search term: runs of letters, marks and digits, folded. */
export function wordsOf(text: string): string[] {
  return [...new Set((foldText(text).match(/[\p{L}\p{M}\p{N}]+/gu) ?? []).map((word) => word.slice(0, maxWordLength)))];
}

function localpartOf(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon < 0 ? undefined : colon);
}

const toEntry = (row: Row): DirectoryEntry => ({ userId: row.user_id, isLocal: Boolean(row.is_local), displayName: row.display_name, avatarUrl: row.avatar_url });

export class UserDirectoryRepository {
  constructor(private readonly db: Database) {}

  /** Lists the user under this name and avatar, or updates their listing; nothing is written when it is unchanged. */
  async put(entry: DirectoryEntry): Promise<void> {
    const existing = await this.db<Row>('user_directory').where('user_id', entry.userId).first();
    if (existing && existing.display_name === entry.displayName && existing.avatar_url === entry.avatarUrl) return;
    const row = {
      user_id: entry.userId,
      is_local: entry.isLocal,
      display_name: entry.displayName,
      avatar_url: entry.avatarUrl,
      folded_name: entry.displayName === null ? null : foldText(entry.displayName),
      folded_localpart: foldText(localpartOf(entry.userId)),
    };
    await this.db('user_directory').insert(row).onConflict('user_id').merge();
    await this.db('user_directory_search').where('user_id', entry.userId).delete();
    const tokens = wordsOf(`${entry.userId} ${entry.displayName ?? ''}`);
    // A concurrent listing of the same user (PostgreSQL) may have inserted some of these words already.
    await this.db('user_directory_search').insert(tokens.map((token) => ({ user_id: entry.userId, token }))).onConflict(['user_id', 'token']).ignore();
  }

  /** Lists the user as `entry` says unless they are listed already. */
  async putIfAbsent(entry: DirectoryEntry): Promise<void> {
    if (!(await this.db('user_directory').where('user_id', entry.userId).first('user_id'))) await this.put(entry);
  }

  /** Those of `userIds` who are not listed. */
  async unlisted(userIds: readonly string[]): Promise<string[]> {
    const listed = new Set<string>();
    for (let i = 0; i < userIds.length; i += chunk) {
      const rows: Array<{ user_id: string }> = await this.db('user_directory').whereIn('user_id', userIds.slice(i, i + chunk)).select('user_id');
      for (const row of rows) listed.add(row.user_id);
    }
    return userIds.filter((userId) => !listed.has(userId));
  }

  /** Local accounts not listed yet (the directory was created after them). */
  async unlistedLocalUsers(): Promise<string[]> {
    const rows: Array<{ user_id: string }> = await this.db('users as u')
      .whereNotExists(this.db('user_directory as d').select(this.db.raw('1')).whereRaw('d.user_id = u.user_id'))
      .select('u.user_id');
    return rows.map((row) => row.user_id);
  }

  /** Users joined to some room here who are not listed, each with one of their current member events. */
  async unlistedMembers(): Promise<Array<{ userId: string; eventId: string }>> {
    const rows: Array<{ state_key: string; event_id: string }> = await this.db('current_state as cs')
      .where({ 'cs.type': 'm.room.member', 'cs.membership': 'join' })
      .whereNotExists(this.db('user_directory as d').select(this.db.raw('1')).whereRaw('d.user_id = cs.state_key'))
      .groupBy('cs.state_key')
      .select('cs.state_key', this.db.raw('min(cs.event_id) as event_id'));
    return rows.map((row) => ({ userId: row.state_key, eventId: row.event_id }));
  }

  async setRoomPublic(roomId: string, isPublic: boolean): Promise<void> {
    await this.db('user_directory_rooms').insert({ room_id: roomId, is_public: isPublic }).onConflict('room_id').merge();
  }

  /** Rooms whose publicity the directory has not recorded yet. */
  async roomsWithoutPublicity(): Promise<string[]> {
    const rows: Array<{ room_id: string }> = await this.db('rooms as r')
      .whereNotExists(this.db('user_directory_rooms as dr').select(this.db.raw('1')).whereRaw('dr.room_id = r.room_id'))
      .select('r.room_id');
    return rows.map((row) => row.room_id);
  }

  /**
   * Tokens `s.token` that start with `word`. Words hold only letters, marks and digits, so none is a LIKE
   * wildcard. SQLite compares text bytewise, so there the prefix is a range of the token index (its LIKE
   * cannot use an index on a case-sensitive column); PostgreSQL plans LIKE itself.
   */
  private startingWith(builder: Knex.QueryBuilder, word: string): Knex.QueryBuilder {
    if (engineOf(this.db) === 'sqlite') return builder.where('s.token', '>=', word).andWhere('s.token', '<', `${word}\u{10FFFF}`);
    return builder.where('s.token', 'like', `${word}%`);
  }

  /**
   * client-server-api "POST /user_directory/search": listed users every word of the term starts a word
   * of (in their user ID or display name), whom the searcher may see, active accounts only; ranked
   * local first when asked, then by an exact, then a prefix match of the whole term, then the rest.
   * One more than `limit` is read, so the caller knows whether the results were limited.
   */
  async search(query: DirectorySearch): Promise<{ entries: DirectoryEntry[]; limited: boolean }> {
    const words = wordsOf(query.term).slice(0, maxSearchWords);
    if (words.length === 0 || query.limit === 0) return { entries: [], limited: false };
    const db = this.db;
    const one = db.raw('1');
    const builder = db('user_directory as d').select('d.user_id', 'd.is_local', 'd.display_name', 'd.avatar_url').whereNot('d.user_id', query.searcher);
    if (query.hidden.length > 0) builder.whereNotIn('d.user_id', query.hidden);
    // The users a word of the term starts a word of, from the token index; then each other word, per candidate.
    const [first, ...others] = words as [string, ...string[]];
    builder.whereIn('d.user_id', this.startingWith(db('user_directory_search as s').select('s.user_id'), first));
    for (const word of others) builder.whereExists(this.startingWith(db('user_directory_search as s').select(one).whereRaw('s.user_id = d.user_id'), word));
    builder.whereNotExists(db('users as u').select(one).whereRaw('u.user_id = d.user_id').whereNotNull('u.deactivated_ts'));
    const joined = (alias: string) => db(`current_state as ${alias}`).select(one).whereRaw(`${alias}.state_key = d.user_id`).where({ [`${alias}.type`]: 'm.room.member', [`${alias}.membership`]: 'join' });
    if (query.scope === 'all') {
      builder.where((scope) => scope.where('d.is_local', true).orWhereExists(joined('m')));
    } else {
      const inPublicRoom = joined('m').join('user_directory_rooms as r', 'r.room_id', 'm.room_id').where('r.is_public', true);
      const sharesRoom = joined('theirs')
        .join('current_state as mine', 'mine.room_id', 'theirs.room_id')
        .where({ 'mine.type': 'm.room.member', 'mine.state_key': query.searcher, 'mine.membership': 'join' });
      builder.where((scope) => scope.whereExists(inPublicRoom).orWhereExists(sharesRoom));
    }
    if (query.preferLocal) builder.orderByRaw('case when d.is_local then 0 else 1 end');
    orderByMatch(builder, foldText(query.term.trim()).replace(/^@/, ''));
    builder.orderByRaw('case when d.display_name is null then 1 else 0 end, case when d.avatar_url is null then 1 else 0 end').orderBy('d.user_id');
    const rows: Row[] = await builder.limit(query.limit + 1);
    return { entries: rows.slice(0, query.limit).map(toEntry), limited: rows.length > query.limit };
  }
}

/** Exact matches of the whole term (display name or localpart) first, then prefix matches, then the rest. */
function orderByMatch(builder: Knex.QueryBuilder, term: string): void {
  // The length is a number we computed, safe to write into the SQL; substr counts characters on both engines.
  const length = [...term].length;
  builder.orderByRaw(
    `case when d.folded_name = ? or d.folded_localpart = ? then 0
      when substr(d.folded_name, 1, ${length}) = ? or substr(d.folded_localpart, 1, ${length}) = ? then 1
      else 2 end`,
    [term, term, term, term],
  );
}
