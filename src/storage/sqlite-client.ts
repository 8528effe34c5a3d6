/**
 * knex's better-sqlite3 client with a reader beside the writer. SQLite allows one writer; with a single
 * connection, every read waited for whichever transaction held it (a batch of events being committed),
 * so requests that only read queued behind writes. In WAL mode a second connection reads the last
 * committed state without waiting for, or blocking, the writer:
 *   - a transaction runs on the writer connection (from knex's pool of one), as before;
 *   - a query outside a transaction that only reads (better-sqlite3's `statement.readonly`) runs on
 *     the reader connection at once; one that writes takes the writer from the pool, as before.
 * So a read outside a transaction sees what is committed, never another transaction's uncommitted rows.
 * Both connections keep their prepared statements: knex prepares every statement anew, which costs as
 * much as running a small one.
 *
 * The reader runs statements synchronously on the main thread (a read of a few rows costs less than a
 * message to another thread); the writer is a connection on a thread of its own (sqlite-writer.ts),
 * so the main thread serves requests while a batch is written.
 *
 * Durability: the writer runs with `synchronous = NORMAL` (SQLite still syncs at checkpoints) and its
 * thread fsyncs the WAL file itself after every commit and every write outside a transaction, before
 * it answers the statement: when a write has been answered, it is on disk, as with FULL, and a commit
 * whose caller answers nobody yet can leave its fsync to a later flush (SyncChoice). (A connection
 * could read a commit a moment before it is on disk; what the server serves comes after answers.)
 * Checkpoints, which copy the WAL into the database file, run on a thread of their own too
 * (wal-checkpointer.ts).
 */
import { createRequire } from 'node:module';
import { backstopCheckpointPages, WalCheckpointer } from './wal-checkpointer.ts';
import { prepareConnection, SqliteWriter, type SqliteConnection, type WriterResult } from './sqlite-writer.ts';

const require = createRequire(import.meta.url);
// knex's dialect classes are CommonJS modules without type declarations of their own.
const BetterSqliteClient = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: unknown) => KnexSqliteClient;
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as new (...args: unknown[]) => { commit(connection: unknown, value: unknown): Promise<unknown> };

/** A statement as knex hands it to `_query`, and the fields `_query` fills in for knex. */
interface KnexQuery {
  sql: string;
  bindings?: unknown[];
  options?: object;
  response?: unknown;
  context?: { lastID: number; changes: number };
}

/** The parts of knex's client this file overrides or calls. */
interface KnexSqliteClient {
  driver: new (filename: string, options?: object) => SqliteConnection;
  connectionSettings: { filename: string };
  logger: { warn(message: string): void };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  acquireRawConnection(): Promise<unknown>;
  destroyRawConnection(connection: unknown): Promise<void>;
  validateConnection(connection: unknown): boolean;
  _query(connection: unknown, query: KnexQuery): Promise<unknown>;
  _formatBindings(bindings: unknown[] | undefined): unknown[];
  destroy(callback?: unknown): Promise<void>;
  transaction(container: unknown, config?: object, outerTx?: unknown): unknown;
}

/** Stands for "no connection yet" in knex's runner: the statement decides which it runs on. */
const routed = { routed: true };

/**
 * Each connection's page cache: SQLite's own default of 2 MB, not the 16 MB better-sqlite3 compiles in.
 * A page it misses comes from the operating system's file cache at the cost of a read call; a larger
 * cache grew the writer thread's memory by some 16 MiB under a stream of sends without making them faster.
 */
const pageCache = 'cache_size = -2000';

/** The writer's pragmas: see the file comment for `synchronous = NORMAL`, wal-checkpointer.ts for the checkpoints. */
const writerPragmas = ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 5000', `wal_autocheckpoint = ${backstopCheckpointPages}`, pageCache];

/**
 * A transaction given `{ sync: choice }` in its config skips the fsync of its commit when `choice.defer`
 * is true at commit time: its caller answers nobody before it calls SqliteClient.flush (events received
 * from another server are acknowledged once per transaction, so they share one fsync). (Not an
 * AsyncLocalStorage: once one is used, every promise of the process pays for its hooks.)
 */
export interface SyncChoice {
  defer: boolean;
}

/** Statements kept per connection (bounded: `whereIn` lists of varying length give distinct texts). */
const cachedStatements = 500;

export class SqliteClient extends BetterSqliteClient {
  private reader: SqliteConnection | undefined;
  private opening: Promise<SqliteConnection> | undefined;
  private closing = false;

  /** Outside transactions: no pool wait; `_query` picks the connection per statement. */
  override async acquireConnection(): Promise<unknown> {
    return routed;
  }

  override releaseConnection(connection: unknown): Promise<void> {
    return connection === routed ? Promise.resolve() : super.releaseConnection(connection);
  }

  /** The writer, from knex's pool of one: for transactions and writes outside them. */
  acquireWriter(): Promise<unknown> {
    // While the pool is being destroyed, it would queue the request until its timeout (a minute).
    if (this.closing) return Promise.reject(new Error('The database is closed'));
    return super.acquireConnection();
  }

  /** The pool's one connection: the writer thread, with the WAL's checkpointer beside it. */
  override async acquireRawConnection(): Promise<unknown> {
    const path = this.connectionSettings.filename;
    const writer = new SqliteWriter(path, writerPragmas, cachedStatements);
    try {
      await writer.opened;
    } catch (error) {
      await writer.close();
      throw error;
    }
    databases.get(path)?.checkpointer.close();
    databases.set(path, { writer, checkpointer: new WalCheckpointer(path, (message) => this.logger.warn(`WAL checkpoint failed: ${message}`)) });
    return writer;
  }

  override async destroyRawConnection(connection: unknown): Promise<void> {
    const path = this.connectionSettings.filename;
    const database = databases.get(path);
    if (database !== undefined && database.writer === connection) {
      databases.delete(path);
      writerMemos.delete(path);
      await database.checkpointer.close();
    }
    await (connection as SqliteWriter).close();
  }

  /** A writer whose thread has stopped is replaced by the pool. */
  override validateConnection(connection: unknown): boolean {
    return connection instanceof SqliteWriter ? connection.alive : super.validateConnection(connection);
  }

  override transaction(container: unknown, config?: { sync?: SyncChoice }, outerTx?: unknown): unknown {
    return new WriterTransaction(this, container, config, outerTx);
  }

  override async _query(connection: unknown, query: KnexQuery): Promise<unknown> {
    if (connection instanceof SqliteWriter) return this.inTransaction(connection, query);
    const reader = this.reader ?? (await this.openReader());
    if (reader.prepare(query.sql).readonly) return super._query(reader, query);
    const writer = (await this.acquireWriter()) as SqliteWriter;
    try {
      const result = await this.write(writer, query, true);
      this.committed();
      return result;
    } finally {
      await super.releaseConnection(writer);
    }
  }

  /**
   * A statement of the transaction holding the writer. BEGIN and writes marked `resultIgnored` are held
   * back and go with the next statement whose result is read, COMMIT at the latest; a COMMIT waits for
   * the disk unless the transaction deferred it. An error of a held statement fails the statement it
   * went with, and so the transaction.
   */
  private async inTransaction(writer: SqliteWriter, query: KnexQuery): Promise<unknown> {
    if (query.sql === 'BEGIN;' || (query.options as { resultIgnored?: boolean } | undefined)?.resultIgnored === true) {
      writer.held.push({ sql: query.sql, bindings: this._formatBindings(query.bindings) });
      query.response = { changes: Number.NaN, lastInsertRowid: Number.NaN };
      query.context = { lastID: Number.NaN, changes: Number.NaN };
      return query;
    }
    if (/^ROLLBACK\b/i.test(query.sql) && !/^ROLLBACK TO/i.test(query.sql)) {
      writerMemos.get(this.connectionSettings.filename)?.clear();
      const begun = writer.held[0]?.sql !== 'BEGIN;';
      writer.held.length = 0;
      // Nothing of the transaction has reached the connection: there is nothing to roll back.
      if (!begun) return query;
    }
    const commit = /^COMMIT/i.test(query.sql);
    const deferred = writer.deferSync;
    if (commit) writer.deferSync = false;
    const result = await this.write(writer, query, commit && !deferred);
    if (commit) this.committed();
    return result;
  }

  /** Puts every committed write on disk, including commits whose fsync was deferred. */
  async flush(): Promise<void> {
    await databases.get(this.connectionSettings.filename)?.writer.sync();
  }

  override async destroy(callback?: unknown): Promise<void> {
    this.closing = true;
    this.reader?.close();
    this.reader = undefined;
    return super.destroy(callback);
  }

  /** Runs a statement on the writer thread and gives knex its result as knex's own `_query` would. */
  private async write(writer: SqliteWriter, query: KnexQuery, sync: boolean): Promise<KnexQuery> {
    if (!query.sql) throw new Error('The query is empty');
    const statements = [...writer.held.splice(0), { sql: query.sql, bindings: this._formatBindings(query.bindings) }];
    let result: WriterResult;
    try {
      result = await writer.run(statements, sync);
    } catch (error) {
      // What a transaction kept in memory may not have reached the database: see writerMemo.
      writerMemos.get(this.connectionSettings.filename)?.clear();
      throw error;
    }
    if ('rows' in result) {
      query.response = result.rows;
    } else {
      query.response = result.run;
      query.context = { lastID: result.run.lastInsertRowid, changes: result.run.changes };
    }
    return query;
  }

  private committed(): void {
    databases.get(this.connectionSettings.filename)?.checkpointer.committed();
  }

  /** Opened after the writer, which creates the file and puts it in WAL mode. */
  private openReader(): Promise<SqliteConnection> {
    this.opening ??= (async () => {
      await super.releaseConnection(await this.acquireWriter());
      const reader = new this.driver(this.connectionSettings.filename);
      prepareConnection(reader, ['busy_timeout = 5000', pageCache], cachedStatements);
      this.reader = reader;
      return reader;
    })();
    return this.opening;
  }
}

/**
 * Values the writer's transactions keep in memory between them (StreamCounterRepository's last reserved
 * positions), by database; undefined for a database other than SQLite. Cleared when a transaction
 * rolls back or a statement fails, before the writer passes to the next transaction, so no transaction
 * sees what one that failed put there.
 */
export function writerMemo(client: unknown): Map<string, number> | undefined {
  if (!(client instanceof SqliteClient)) return undefined;
  const path = client.connectionSettings.filename;
  let memo = writerMemos.get(path);
  if (memo === undefined) writerMemos.set(path, (memo = new Map()));
  return memo;
}

const writerMemos = new Map<string, Map<string, number>>();

/** The round trips to the writer thread of the SQLite database at `path` so far (for tests). */
export function writerRoundTrips(path: string): number {
  return databases.get(path)?.writer.roundTrips ?? 0;
}

/**
 * Each database's writer and checkpointer, by file name. knex runs a transaction's statements on a
 * copy of this client that has only some of its fields (`makeTxClient`), and its migrator on another
 * copy, so what a transaction's statements share cannot be a field of the client.
 */
const databases = new Map<string, { writer: SqliteWriter; checkpointer: WalCheckpointer }>();

/** knex's SQLite transaction, on the writer. */
class WriterTransaction extends SqliteTransaction {
  declare client: SqliteClient;
  declare txid: string;
  private readonly sync: SyncChoice | undefined;

  constructor(client: SqliteClient, container: unknown, config?: { sync?: SyncChoice }, outerTx?: unknown) {
    super(client, container, config, outerTx);
    this.sync = config?.sync;
  }

  /** Tells `_query` whether the COMMIT must reach the disk before it resolves. */
  override commit(connection: SqliteWriter, value: unknown): Promise<unknown> {
    connection.deferSync = this.sync?.defer === true;
    return super.commit(connection, value);
  }

  // As knex's Transaction.acquireConnection, with the writer instead of a routed connection.
  async acquireConnection(config: { connection?: Record<string, unknown> } | undefined, cb: (connection: unknown) => Promise<unknown>): Promise<unknown> {
    const given = config?.connection;
    const connection = (given ?? (await this.client.acquireWriter())) as Record<string, unknown>;
    try {
      connection.__knexTxId = this.txid;
      return await cb(connection);
    } finally {
      if (!given) {
        delete connection.__knexTxId;
        await this.client.releaseConnection(connection);
      }
    }
  }
}
