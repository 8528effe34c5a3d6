import { expect } from 'chai';
import { migrations } from '../../migrations/index.ts';
import { forEachDatabase } from '../testing/test-databases.ts';
import { openDatabase, type Database } from './database.ts';
import { migrateDownAll, migrateToLatest, pendingMigrations } from './migrate.ts';

describe('migrations', function () {
  forEachDatabase((database) => {
    let db: Database;
    before(() => {
      db = openDatabase(database());
    });
    after(() => db.destroy());

    it('apply every migration up, then all of them down, then up again', async function () {
      const names = migrations.map((m) => m.name);
      expect(await pendingMigrations(db)).to.deep.equal(names);
      expect(await migrateToLatest(db)).to.deep.equal(names);
      expect(await pendingMigrations(db)).to.deep.equal([]);
      expect(await db.schema.hasTable('local_signing_keys')).to.equal(true);

      expect(await migrateDownAll(db)).to.deep.equal([...names].reverse());
      expect(await db.schema.hasTable('local_signing_keys')).to.equal(false);
      expect(await pendingMigrations(db)).to.deep.equal(names);

      expect(await migrateToLatest(db)).to.deep.equal(names);
    });

    it('is a no-op when the schema is current', async function () {
      expect(await migrateToLatest(db)).to.deep.equal([]);
    });
  });
});
