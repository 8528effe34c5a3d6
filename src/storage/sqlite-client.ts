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
 * better-sqlite3 is synchronous, so the connections never run statements at the same time, and a
 * statement never waits for a lock held in this process: the writer is only ever used by one holder.
 *
 * Durability without blocking: with `synchronous = FULL` every commit fsyncs the WAL on the main
 * thread, a few milliseconds in which no request is served. The writer runs with `synchronous =
 * NORMAL` instead (SQLite still syncs at checkpoints) and this client fsyncs the WAL file itself, on
 * libuv's thread pool, after every commit and every write outside a transaction, and answers the
 * statement only then: when a write has been answered, it is on disk, as with FULL. (A connection
 * could read a commit a moment before it is on disk; what the server serves comes after answers.)
 * Checkpoints, which copy the WAL into the database file, run on a thread of their own too
 * (wal-checkpointer.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { close, fsync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { backstopCheckpointPages, WalCheckpointer } from './wal-checkpointer.ts';

const require = createRequire(import.meta.url);
// knex's dialect classes are CommonJS modules without type declarations of their own.
const BetterSqliteClient = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: unknown) => KnexSqliteClient;
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as new (...args: unknown[]) => object;

/** The better-sqlite3 connection, as far as this file uses it. */
export interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): { readonly: boolean };
  close(): void;
}

/** The parts of knex's client this file overrides or calls. */
interface KnexSqliteClient {
  driver: new (filename: string, options?: object) => SqliteConnection;
  connectionSettings: { filename: string };
  logger: { warn(message: string): void };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  _query(connection: unknown, query: { sql: string }): Promise<unknown>;
  destroy(callback?: unknown): Promise<void>;
  transaction(...args: unknown[]): unknown;
}

/** Stands for "no connection yet" in knex's runner: the statement decides which it runs on. */
const routed = { routed: true };

/** The writer's pragmas: see the file comment for `synchronous = NORMAL`, wal-checkpointer.ts for the checkpoints. */
export const writerPragmas = ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 5000', `wal_autocheckpoint = ${backstopCheckpointPages}`];

const fsyncFile = promisify(fsync);

/**
 * A commit made inside `deferredSync.run(choice, …)` skips its fsync when `choice.defer` is true at
 * commit time: its caller answers nobody before it calls SqliteClient.flush (events received from
 * another server are acknowledged once per transaction, so they share one fsync).
 */
export const deferredSync = new AsyncLocalStorage<{ defer: boolean }>();

/** Statements kept per connection (bounded: `whereIn` lists of varying length give distinct texts). */
const cachedStatements = 500;

/** Sets the pragmas of a connection and keeps its most recently used prepared statements. */
export function prepareConnection(connection: SqliteConnection, pragmas: readonly string[]): void {
  for (const pragma of pragmas) connection.pragma(pragma);
  const prepare = connection.prepare.bind(connection);
  const statements = new Map<string, { readonly: boolean }>();
  connection.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (statements.size >= cachedStatements) statements.delete(statements.keys().next().value!);
    } else {
      statements.delete(sql);
    }
    statements.set(sql, statement);
    return statement;
  };
}

export class SqliteClient extends BetterSqliteClient {
  private reader: SqliteConnection | undefined;
  private opening: Promise<SqliteConnection> | undefined;

  /** Outside transactions: no pool wait; `_query` picks the connection per statement. */
  override async acquireConnection(): Promise<unknown> {
    return routed;
  }

  override releaseConnection(connection: unknown): Promise<void> {
    return connection === routed ? Promise.resolve() : super.releaseConnection(connection);
  }

  /** The writer, from knex's pool of one: for transactions and writes outside them. */
  acquireWriter(): Promise<unknown> {
    return super.acquireConnection();
  }

  override transaction(...args: unknown[]): unknown {
    return new WriterTransaction(this, ...args);
  }

  override async _query(connection: unknown, query: { sql: string }): Promise<unknown> {
    if (connection !== routed) {
      const result = await super._query(connection, query);
      if (/^COMMIT/i.test(query.sql)) {
        this.wal.committed();
        if (deferredSync.getStore()?.defer !== true) await this.wal.sync();
      }
      return result;
    }
    const reader = this.reader ?? (await this.openReader());
    if (reader.prepare(query.sql).readonly) return super._query(reader, query);
    const writer = await this.acquireWriter();
    try {
      const result = await super._query(writer, query);
      this.wal.committed();
      await this.wal.sync();
      return result;
    } finally {
      await super.releaseConnection(writer);
    }
  }

  /** Puts every committed write on disk, including commits whose fsync was deferred. */
  flush(): Promise<void> {
    return this.wal.sync();
  }

  /**
   * The database's WAL, kept by file name. knex runs a transaction's statements on a copy of this
   * client that has only some of its fields (`makeTxClient`), and its migrator on another copy, so a
   * field of this client's would be opened anew in every transaction (a file descriptor each).
   */
  private get wal(): WalFile {
    const path = this.connectionSettings.filename;
    let wal = walFiles.get(path);
    if (wal === undefined) walFiles.set(path, (wal = new WalFile(path, (message) => this.logger.warn(`WAL checkpoint failed: ${message}`))));
    return wal;
  }

  override async destroy(callback?: unknown): Promise<void> {
    const wal = walFiles.get(this.connectionSettings.filename);
    walFiles.delete(this.connectionSettings.filename);
    await wal?.close();
    this.reader?.close();
    this.reader = undefined;
    return super.destroy(callback);
  }

  /** Opened after the writer, which creates the file and puts it in WAL mode. */
  private openReader(): Promise<SqliteConnection> {
    this.opening ??= (async () => {
      await super.releaseConnection(await this.acquireWriter());
      const reader = new this.driver(this.connectionSettings.filename);
      prepareConnection(reader, ['busy_timeout = 5000']);
      this.reader = reader;
      return reader;
    })();
    return this.opening;
  }
}

/** The WAL file of a database: fsyncs of its commits and checkpoints of it (wal-checkpointer.ts). */
class WalFile {
  /** Opened at the first write (SQLite creates the file then). */
  private fd: number | undefined;
  private readonly checkpointer: WalCheckpointer;

  constructor(
    private readonly databasePath: string,
    onCheckpointError: (message: string) => void,
  ) {
    this.checkpointer = new WalCheckpointer(databasePath, onCheckpointError);
  }

  committed(): void {
    this.checkpointer.committed();
  }

  /** Puts every committed write on disk (fsync of the WAL, on the thread pool). */
  async sync(): Promise<void> {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(`${this.databasePath}-wal`, 'r+');
      } catch (error) {
        // No WAL yet: nothing has been written.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
    }
    await fsyncFile(this.fd);
  }

  async close(): Promise<void> {
    await this.checkpointer.close();
    if (this.fd !== undefined) close(this.fd, () => undefined);
    this.fd = undefined;
  }
}

const walFiles = new Map<string, WalFile>();

/** knex's SQLite transaction, on the writer. */
class WriterTransaction extends SqliteTransaction {
  declare client: SqliteClient;
  declare txid: string;

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
