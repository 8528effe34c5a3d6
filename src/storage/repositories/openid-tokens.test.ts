import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('OpenIdTokenRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
      await storage.users.create({ userId: '@alice:test', passwordHash: null, isAdmin: false, kind: 'user', createdTs: 0 });
    });
    after(() => storage.close());

    it('finds the owner of a token until it expires, and deletes expired tokens', async function () {
      await storage.openIdTokens.add('hash-1', '@alice:test', 1_000);
      expect(await storage.openIdTokens.owner('hash-1', 999)).to.equal('@alice:test');
      expect(await storage.openIdTokens.owner('hash-1', 1_000)).to.equal(undefined);
      expect(await storage.openIdTokens.owner('unknown', 0)).to.equal(undefined);
      await storage.openIdTokens.add('hash-2', '@alice:test', 5_000);
      await storage.openIdTokens.deleteExpired(1_000);
      expect(await storage.openIdTokens.owner('hash-1', 0)).to.equal(undefined);
      expect(await storage.openIdTokens.owner('hash-2', 0)).to.equal('@alice:test');
    });
  });
});
