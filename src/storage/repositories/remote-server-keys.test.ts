import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('RemoteServerKeyRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('stores the keys of a response, current and old, with the response text', async function () {
      await storage.remoteServerKeys.storeResponse('a.test', { validUntilTs: 5000, fetchedTs: 1000, keyJson: '{"first":1}' }, [
        { keyId: 'ed25519:new', verifyKey: 'NEW', expiredTs: null },
        { keyId: 'ed25519:old', verifyKey: 'OLD', expiredTs: 900 },
      ]);
      expect(await storage.remoteServerKeys.listForServer('a.test')).to.deep.equal([
        { serverName: 'a.test', keyId: 'ed25519:new', verifyKey: 'NEW', validUntilTs: 5000, expiredTs: null, fetchedTs: 1000, keyJson: '{"first":1}' },
        { serverName: 'a.test', keyId: 'ed25519:old', verifyKey: 'OLD', validUntilTs: 5000, expiredTs: 900, fetchedTs: 1000, keyJson: '{"first":1}' },
      ]);
      expect(await storage.remoteServerKeys.listForServer('b.test')).to.deep.equal([]);
    });

    it('replaces a key with a fresher response, and adds keys it did not have', async function () {
      await storage.remoteServerKeys.storeResponse('a.test', { validUntilTs: 9000, fetchedTs: 2000, keyJson: '{"second":2}' }, [
        { keyId: 'ed25519:new', verifyKey: 'NEW', expiredTs: 8000 },
        { keyId: 'ed25519:newer', verifyKey: 'NEWER', expiredTs: null },
      ]);
      const rows = await storage.remoteServerKeys.listForServer('a.test');
      expect(rows.map((r) => [r.keyId, r.validUntilTs, r.expiredTs, r.keyJson])).to.deep.equal([
        ['ed25519:new', 9000, 8000, '{"second":2}'],
        ['ed25519:newer', 9000, null, '{"second":2}'],
        ['ed25519:old', 5000, 900, '{"first":1}'],
      ]);
    });

    it('keeps a key from a fresher response when an older response arrives (e.g. a notary cache)', async function () {
      await storage.remoteServerKeys.storeResponse('a.test', { validUntilTs: 6000, fetchedTs: 3000, keyJson: '{"stale":3}' }, [
        { keyId: 'ed25519:newer', verifyKey: 'STALE', expiredTs: null },
        { keyId: 'ed25519:old', verifyKey: 'OLD', expiredTs: 900 },
      ]);
      const rows = await storage.remoteServerKeys.listForServer('a.test');
      expect(rows.map((r) => [r.keyId, r.verifyKey, r.validUntilTs, r.keyJson])).to.deep.equal([
        ['ed25519:new', 'NEW', 9000, '{"second":2}'],
        ['ed25519:newer', 'NEWER', 9000, '{"second":2}'],
        ['ed25519:old', 'OLD', 6000, '{"stale":3}'],
      ]);
    });
  });
});
