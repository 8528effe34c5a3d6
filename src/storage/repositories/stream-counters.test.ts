import { expect } from 'chai';
import { createRequire } from 'node:module';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

const require = createRequire(import.meta.url);

describe('StreamCounterRepository', function () {
  forEachDatabase((database, engine) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
      await storage.users.create({ userId: '@s:test', passwordHash: null, isAdmin: false, kind: 'user', createdTs: 0 });
    });
    after(() => storage.close());

    it('hands out each position once, in order, to concurrent writers, and commits them in order', async function () {
      const writers = Array.from({ length: 40 }, (_, i) =>
        storage.transaction(async (tx) => {
          const position = await tx.streamCounters.nextPosition('account_data');
          await tx.accountData.put('@s:test', null, `t.${i}`, { i }, position);
          return position;
        }),
      );
      const positions = await Promise.all(writers);
      expect([...positions].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await storage.streamCounters.currentPosition('account_data')).to.equal(40);
      const rows = await storage.accountData.changedBetween('@s:test', 0, 40);
      expect(rows.map((r) => r.streamPosition)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('reserves consecutive positions for a writer that commits several rows at once', async function () {
      const first = await storage.transaction((tx) => tx.streamCounters.nextPositions('to_device', 5));
      const next = await storage.transaction((tx) => tx.streamCounters.nextPositions('to_device', 3));
      expect([first, next]).to.deep.equal([1, 6]);
      expect(await storage.streamCounters.currentPosition('to_device')).to.equal(8);
    });

    it('rolls a position back with its transaction', async function () {
      const before = await storage.streamCounters.currentPosition('account_data');
      await storage
        .transaction(async (tx) => {
          await tx.streamCounters.nextPosition('account_data');
          throw new Error('abort');
        })
        .catch(() => undefined);
      expect(await storage.streamCounters.currentPosition('account_data')).to.equal(before);
    });

    it('after a rolled-back reservation the next transaction reserves the same position and commits', async function () {
      await storage.transaction((tx) => tx.streamCounters.nextPosition('receipts'));
      const before = await storage.streamCounters.currentPosition('receipts');
      await storage
        .transaction(async (tx) => {
          await tx.streamCounters.nextPositions('receipts', 3);
          throw new Error('abort');
        })
        .catch(() => undefined);
      expect(await storage.transaction((tx) => tx.streamCounters.nextPosition('receipts'))).to.equal(before + 1);
      expect(await storage.streamCounters.currentPosition('receipts')).to.equal(before + 1);
    });

    // PostgreSQL reserves in the database every time: nothing in memory to go stale.
    if (engine === 'sqlite') it('SQLite: a counter moved by another process fails the transaction that reserved from memory, and the next reserves past it', async function () {
      const options = database();
      if (options.engine !== 'sqlite') throw new Error('expected SQLite');
      await storage.transaction((tx) => tx.streamCounters.nextPosition('presence'));
      const before = await storage.streamCounters.currentPosition('presence');
      // Another process (lattice register-user, say) on the same file.
      const Database = require('better-sqlite3') as new (path: string) => { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void };
      const other = new Database(options.path);
      other.prepare(`update stream_counters set position = position + 10 where stream = 'presence'`).run();
      other.close();
      const stale = await storage.transaction((tx) => tx.streamCounters.nextPosition('presence')).then(
        () => 'committed',
        (error: Error) => error.message,
      );
      expect(stale).to.match(/NOT NULL/);
      expect(await storage.transaction((tx) => tx.streamCounters.nextPosition('presence'))).to.equal(before + 11);
    });
  });
});
