/**
 * Checkpoints of SQLite's WAL on a thread of their own. A checkpoint copies the pages of the WAL into
 * the database file and fsyncs both. By default SQLite runs one in the committing connection whenever
 * the WAL passes 1,000 pages: several milliseconds in which the main thread serves nobody, a tenth of
 * its time under a steady stream of sends. Here a worker thread, on a connection of its own, runs a
 * PASSIVE checkpoint (which never blocks the writer or a reader) every few commits, so the WAL stays
 * short: readers look pages up in it through hash tables that grow with it.
 *
 * The worker's code is inline JavaScript, so it runs the same from the TypeScript sources and dist/.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Commits between two checkpoints: a batch of sends writes some 150 pages to the WAL. */
const commitsPerCheckpoint = 4;

/**
 * The writer's own automatic checkpoint, in pages, as a backstop for when the worker falls behind (a
 * very large transaction, a reader holding an old snapshot).
 */
export const backstopCheckpointPages = 10_000;

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ done: true });
  } catch (error) {
    parentPort.postMessage({ done: true, error: String(error) });
  }
});
`;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private commits = 0;
  private running = false;

  constructor(
    private readonly filename: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Counts a commit; every few commits, starts a checkpoint unless one is running. */
  committed(): void {
    if (++this.commits < commitsPerCheckpoint || this.running) return;
    this.commits = 0;
    this.running = true;
    this.start().postMessage('checkpoint');
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Kept alive until it has closed its connection.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerSource, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), filename: this.filename } });
    // It must not keep a process alive that is otherwise done (a server stopped without closing its database).
    worker.unref();
    worker.on('message', (message: { error?: string }) => {
      this.running = false;
      if (message.error) this.onError(message.error);
    });
    worker.on('error', (error) => {
      this.running = false;
      this.worker = undefined;
      this.onError(String(error));
    });
    this.worker = worker;
    return worker;
  }
}
