import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('RegistrationTokenRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('counts as pending only the reservations made since the given time, one per session', async function () {
      await storage.registrationTokens.create('pending', 5, null, 0);
      await storage.registrationTokens.reserve('old-session', 'pending', 100);
      await storage.registrationTokens.reserve('new-session', 'pending', 200);
      await storage.registrationTokens.reserve('new-session', 'pending', 200);
      expect(await storage.registrationTokens.get('pending', 0)).to.include({ pending: 2, completed: 0 });
      expect(await storage.registrationTokens.get('pending', 150)).to.include({ pending: 1 });
      await storage.registrationTokens.releaseOlderThan(150);
      expect(await storage.registrationTokens.get('pending', 0)).to.include({ pending: 1 });
    });

    it('consumes a reservation only while the token has a use left, even when more sessions hold it', async function () {
      await storage.registrationTokens.create('once', 1, null, 0);
      await storage.registrationTokens.reserve('a', 'once', 0);
      await storage.registrationTokens.reserve('b', 'once', 0);
      expect(await storage.registrationTokens.consume('a')).to.equal(true);
      expect(await storage.registrationTokens.consume('b')).to.equal(false);
      expect(await storage.registrationTokens.consume('no-such-session')).to.equal(false);
      expect(await storage.registrationTokens.get('once', 0)).to.deep.equal({ token: 'once', usesAllowed: 1, pending: 0, completed: 1, expiryTime: null });
    });

    it('deleting a token deletes its reservations', async function () {
      await storage.registrationTokens.create('gone', null, null, 0);
      await storage.registrationTokens.reserve('c', 'gone', 0);
      expect(await storage.registrationTokens.delete('gone')).to.equal(true);
      expect(await storage.registrationTokens.consume('c')).to.equal(false);
      expect(await storage.registrationTokens.delete('gone')).to.equal(false);
    });
  });
});
