import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('LocalSigningKeyRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('keeps the history of keys: replacing the key expires the previous one', async function () {
      await storage.localSigningKeys.useKey('ed25519:a_one', 'PUBONE', 1000);
      await storage.localSigningKeys.useKey('ed25519:a_one', 'PUBONE', 1500);
      await storage.localSigningKeys.useKey('ed25519:a_two', 'PUBTWO', 2000);
      expect(await storage.localSigningKeys.list()).to.deep.equal([
        { keyId: 'ed25519:a_one', publicKey: 'PUBONE', firstUsedTs: 1000, expiredTs: 2000 },
        { keyId: 'ed25519:a_two', publicKey: 'PUBTWO', firstUsedTs: 2000, expiredTs: null },
      ]);
    });

    it('reports a key ID reused with a different public key', async function () {
      const result = await storage.localSigningKeys.useKey('ed25519:a_two', 'OTHER', 3000);
      expect(result).to.deep.equal({ replacedPublicKey: 'PUBTWO' });
    });
  });
});
