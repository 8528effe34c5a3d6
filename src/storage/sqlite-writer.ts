/**
 * SQLite's writer connection on a thread of its own. better-sqlite3 runs a statement synchronously in
 * the calling thread: with the writer on the main thread, inserting a batch of sent events and copying
 * its pages into the WAL at COMMIT took a quarter of the main thread under a steady stream of sends,
 * time in which no request was served. Here the connection lives in a worker thread: the main thread
 * posts each statement and awaits its result, and builds the next batch meanwhile.
 *
 * A message carries the statements of one transaction that are ready to run, in order: knex sends a
 * transaction's statements one by one and the client holds back those whose results nobody reads
 * (sqlite-client.ts), so a batch of events costs one round trip, not one per statement: a round trip
 * waits for the main thread to get to the answer, which under load is a millisecond or more. A message
 * may ask for an fsync of the WAL before its answer (see sqlite-client.ts on durability).
 *
 * The worker's code is inline JavaScript, so it runs the same from the TypeScript sources and dist/.
 * No column holds a BLOB: values cross the thread boundary by structured clone as numbers, strings and
 * null.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

export interface Statement {
  sql: string;
  bindings: readonly unknown[];
}

/** What a statement returned: its rows if it returns any (SELECT, RETURNING), else what it changed. */
export type WriterResult = { rows: unknown[] } | { run: { changes: number; lastInsertRowid: number } };

interface Reply {
  id: number;
  rows?: unknown[];
  run?: { changes: number; lastInsertRowid: number };
  error?: { message: string; code?: string; name?: string };
}

/** The better-sqlite3 connection, as far as the reader and the writer thread use it. */
export interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): { readonly: boolean };
  close(): void;
}

/**
 * Sets the pragmas of a connection and keeps its `limit` most recently used prepared statements
 * (bounded: `whereIn` lists of varying length give distinct texts); knex prepares every statement
 * anew, which costs as much as running a small one. Self-contained: the writer thread runs its source.
 */
export function prepareConnection(connection: SqliteConnection, pragmas: readonly string[], limit: number): void {
  for (const pragma of pragmas) connection.pragma(pragma);
  const prepare = connection.prepare.bind(connection);
  const statements = new Map<string, { readonly: boolean }>();
  connection.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (statements.size >= limit) statements.delete(statements.keys().next().value!);
    } else {
      statements.delete(sql);
    }
    statements.set(sql, statement);
    return statement;
  };
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, fsyncSync, openSync } = require('node:fs');
const Database = require(workerData.driver);
const describe = (error) => ({ message: error.message, code: error.code, name: error.name });
${prepareConnection.toString()}
let db;
try {
  db = new Database(workerData.filename);
  prepareConnection(db, workerData.pragmas, workerData.cachedStatements);
  parentPort.postMessage({ id: 0 });
} catch (error) {
  parentPort.postMessage({ id: 0, error: describe(error) });
}
let wal;
function syncWal() {
  if (wal === undefined) {
    try {
      wal = openSync(workerData.filename + '-wal', 'r+');
    } catch (error) {
      if (error.code === 'ENOENT') return; // no WAL yet: nothing has been written
      throw error;
    }
  }
  fsyncSync(wal);
}
parentPort.on('message', ({ id, statements, sync, close }) => {
  if (close) {
    if (wal !== undefined) closeSync(wal);
    db?.close();
    parentPort.close();
    return;
  }
  try {
    let reply = { id };
    for (const { sql, bindings } of statements) {
      const statement = db.prepare(sql);
      reply = statement.reader ? { id, rows: statement.all(bindings) } : { id, run: statement.run(bindings) };
    }
    if (sync) syncWal();
    parentPort.postMessage(reply);
  } catch (error) {
    // A COMMIT that did not run ends the transaction for knex all the same: it sends no ROLLBACK.
    if (statements.at(-1)?.sql.startsWith('COMMIT') && db.inTransaction) db.exec('ROLLBACK');
    parentPort.postMessage({ id, error: describe(error) });
  }
});
`;

export class SqliteWriter {
  /** Resolves once the connection is open and its pragmas set; rejects if it cannot be opened. */
  readonly opened: Promise<void>;
  /** Set for the next COMMIT by a transaction whose commit need not wait for the disk. */
  deferSync = false;
  /** The current transaction's statements held back until it sends one whose result it reads. */
  readonly held: Statement[] = [];
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  /** Messages sent to the thread: each waits for the main thread to get to its answer. */
  roundTrips = 0;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(filename: string, pragmas: readonly string[], cachedStatements: number) {
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), filename, pragmas, cachedStatements },
      // What it allocates lives for one message: a small young generation is enough, where V8's default
      // would grow to some 50 MiB under a steady stream of batches.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    // Held only while a statement is under way: an idle writer must not keep a finished process alive.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => this.stop(new Error(`the SQLite writer thread exited (code ${code})`)));
    this.opened = new Promise<Reply>((resolve, reject) => this.pending.set(0, { resolve, reject })).then(unwrap).then(() => undefined);
    this.worker.ref();
  }

  /** False once the thread has stopped: knex's pool then opens a new writer. */
  get alive(): boolean {
    return this.stopped === undefined;
  }

  /**
   * Runs statements in order, up to the first that fails, and answers the last one's result; with
   * `sync`, after an fsync of the WAL.
   */
  async run(statements: readonly Statement[], sync: boolean): Promise<WriterResult> {
    const reply = await this.post({ statements, sync });
    return reply.rows ? { rows: reply.rows } : { run: reply.run! };
  }

  /** Puts every committed write on disk (an fsync of the WAL). */
  async sync(): Promise<void> {
    await this.post({ statements: [], sync: true });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped) return;
      const exited = new Promise((resolve) => this.worker.once('exit', resolve));
      this.worker.ref();
      this.worker.postMessage({ close: true });
      await exited;
    })();
    return this.closing;
  }

  private post(message: { statements: readonly Statement[]; sync: boolean }): Promise<Reply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    this.roundTrips++;
    if (this.pending.size === 0) this.worker.ref();
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ id, ...message });
    return reply.then(unwrap);
  }

  private settle(reply: Reply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    waiting.resolve(reply);
  }

  private stop(error: Error): void {
    this.stopped ??= error;
    for (const { reject } of this.pending.values()) reject(this.stopped);
    this.pending.clear();
  }
}

/** The reply's error as an Error with SQLite's code (SQLITE_CONSTRAINT_UNIQUE, …), or the reply. */
function unwrap(reply: Reply): Reply {
  if (!reply.error) return reply;
  throw Object.assign(new Error(reply.error.message), { code: reply.error.code, name: reply.error.name ?? 'Error' });
}
