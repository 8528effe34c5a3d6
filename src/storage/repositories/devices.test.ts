import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('DeviceRepository refresh tokens', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
      await storage.users.create({ userId: '@r:test', passwordHash: null, isAdmin: false, kind: 'user', createdTs: 0 });
      await storage.devices.upsert('@r:test', 'DEV', null, 0);
    });
    after(() => storage.close());

    it('records a successor only if the expected one is still current (a concurrent exchange loses)', async function () {
      const first = await storage.devices.addRefreshToken('hash-1', '@r:test', 'DEV', 0, null);
      const second = await storage.devices.addRefreshToken('hash-2', '@r:test', 'DEV', 0, null);
      const third = await storage.devices.addRefreshToken('hash-3', '@r:test', 'DEV', 0, null);
      expect(await storage.devices.setNextRefreshToken(first, null, second)).to.equal(true);
      expect(await storage.devices.setNextRefreshToken(first, null, third)).to.equal(false);
      expect(await storage.devices.setNextRefreshToken(first, second, third)).to.equal(true);
      expect(await storage.devices.findRefreshToken('hash-1')).to.deep.include({ id: first, nextTokenId: third });
    });

    it('deleting a refresh token deletes the access tokens issued with it; deleting the device deletes both', async function () {
      const refresh = await storage.devices.addRefreshToken('hash-r', '@r:test', 'DEV', 0, 1000);
      await storage.devices.addAccessToken('hash-a', '@r:test', 'DEV', 0, 500, refresh);
      await storage.devices.addAccessToken('hash-plain', '@r:test', 'DEV', 0, null);
      expect(await storage.devices.findAccessToken('hash-a')).to.deep.include({ refreshTokenId: refresh, used: false, expiresTs: 500 });
      await storage.devices.markAccessTokenUsed((await storage.devices.findAccessToken('hash-a'))!.tokenId);
      expect(await storage.devices.findAccessToken('hash-a')).to.deep.include({ used: true });
      await storage.devices.deleteRefreshToken(refresh);
      expect(await storage.devices.findAccessToken('hash-a')).to.equal(undefined);
      expect(await storage.devices.findAccessToken('hash-plain')).not.to.equal(undefined);
      await storage.devices.delete('@r:test', ['DEV']);
      expect(await storage.devices.findRefreshToken('hash-2')).to.equal(undefined);
      expect(await storage.devices.findAccessToken('hash-plain')).to.equal(undefined);
    });
  });
});
