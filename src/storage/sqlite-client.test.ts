import { expect } from 'chai';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { eventually } from '../../spec-tests/harness/federation.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-databases.ts';
import { openDatabase } from './database.ts';
import { writerRoundTrips } from './sqlite-client.ts';
import { Storage, type Repositories } from './storage.ts';

/** The file descriptors this process holds open on `path`. */
function openDescriptors(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

describe('SQLite client', function () {
  let database: TestDatabase;
  let storage: Storage;
  let path: string;

  beforeEach(async function () {
    database = await createTestDatabase('sqlite');
    if (database.options.engine !== 'sqlite') throw new Error('expected SQLite');
    path = database.options.path;
    ({ storage } = await Storage.open(database.options));
  });

  afterEach(async function () {
    await storage.close();
    await database.drop();
  });

  const commit = () => storage.transaction((tx) => tx.streamCounters.nextPositions('events', 1));

  it('durable commits hold the WAL open once, however many transactions commit', async function () {
    if (process.platform !== 'linux') this.skip();
    // The writer, the reader, the fsync and the checkpointing thread each open it once.
    const initialSize = statSync(path).size;
    for (let i = 0; i < 10; i++) await commit();
    await eventually(async () => statSync(path).size > initialSize, 5_000, 'a checkpoint');
    const before = openDescriptors(`${path}-wal`);
    for (let i = 0; i < 30; i++) await commit();
    // Each transaction runs on a copy of the client; the file it fsyncs must not be opened per copy.
    expect(openDescriptors(`${path}-wal`)).to.equal(before);
  });

  it('checkpoints the WAL into the database file off the writer, long before its automatic checkpoint', async function () {
    const initialSize = statSync(path).size;
    // A few pages each: far below the writer's own checkpoint at 10,000 pages.
    for (let i = 0; i < 40; i++) await commit();
    await eventually(async () => statSync(path).size > initialSize, 5_000, 'a checkpoint');
  });

  it('gives the reader and the writer SQLite\'s own 2 MB page cache, not better-sqlite3\'s 16 MB', async function () {
    const db = openDatabase({ engine: 'sqlite', path });
    try {
      // Outside a transaction a read runs on the reader; inside one, on the writer thread.
      const cacheSize = (rows: unknown) => (rows as { cache_size: number }[])[0]!.cache_size;
      expect(cacheSize(await db.raw('pragma cache_size'))).to.equal(-2000);
      expect(cacheSize(await db.transaction((tx) => tx.raw('pragma cache_size')))).to.equal(-2000);
    } finally {
      await db.destroy();
    }
  });

  const redact = (tx: Repositories, i: number) => tx.roomEvents.recordRedaction(`$target${i}`, `$redaction${i}`);
  const redacted = async (i: number) => (await storage.roomEvents.redactionsOf([`$target${i}`])).has(`$target${i}`);
  const key = (txnId: string) => ({ userId: '@a:test', deviceId: 'D', endpoint: 'send', txnId });

  it('sends a transaction\'s writes whose results nobody reads with its next read or its COMMIT: one round trip each', async function () {
    await commit();
    let before = writerRoundTrips(path);
    await storage.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await redact(tx, i);
    });
    expect(writerRoundTrips(path) - before).to.equal(1);
    before = writerRoundTrips(path);
    await storage.transaction(async (tx) => {
      await redact(tx, 5);
      // The read sees the held write before it.
      expect((await tx.roomEvents.redactionsOf(['$target5'])).get('$target5')).to.equal('$redaction5');
      await redact(tx, 6);
    });
    expect(writerRoundTrips(path) - before).to.equal(2);
    for (let i = 0; i < 7; i++) expect(await redacted(i)).to.equal(true);
  });

  it('a held write that fails fails its transaction at COMMIT, rolls back all of it, and leaves the writer ready', async function () {
    await storage.transaction((tx) => tx.clientTransactions.recordAll([{ key: key('t1'), response: {} }], 0));
    const failed = await storage
      .transaction(async (tx) => {
        await redact(tx, 10);
        await tx.clientTransactions.recordAll([{ key: key('t1'), response: {} }], 0);
      })
      .then(
        () => 'committed',
        (error: Error) => error.message,
      );
    expect(failed).to.match(/UNIQUE/);
    expect(await redacted(10)).to.equal(false);
    await storage.transaction((tx) => redact(tx, 11));
    expect(await redacted(11)).to.equal(true);
  });
});
