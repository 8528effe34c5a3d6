import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';
import type { PusherRecord } from './pushers.ts';

const pusher = (userId: string, lastStreamPosition = 10): Omit<PusherRecord, 'lastSuccessTs' | 'failingSinceTs'> => ({
  userId,
  appId: 'app',
  pushkey: 'key',
  kind: 'http',
  deviceId: 'DEVICE',
  appDisplayName: 'App',
  deviceDisplayName: 'Phone',
  profileTag: null,
  lang: 'en',
  data: { url: 'https://gateway.test/_matrix/push/v1/notify' },
  createdTs: 1,
  lastStreamPosition,
});

describe('PusherRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('records delivery progress without moving back, and reports a pusher that is gone', async function () {
      expect(await storage.pushers.set(pusher('@a:x'), false)).to.deep.equal([]);
      const key = { userId: '@a:x', appId: 'app', pushkey: 'key' };
      await storage.pushers.setFailingSince(key, 5);
      expect(await storage.pushers.get(key)).to.deep.include({ lastStreamPosition: 10, lastSuccessTs: null, failingSinceTs: 5 });
      expect(await storage.pushers.recordProgress(key, { lastStreamPosition: 12, lastSuccessTs: 99, failingSinceTs: null })).to.equal(true);
      expect(await storage.pushers.recordProgress(key, { lastStreamPosition: 11, failingSinceTs: null })).to.equal(true);
      expect(await storage.pushers.get(key)).to.deep.include({ lastStreamPosition: 12, lastSuccessTs: 99, failingSinceTs: null });
      expect((await storage.pushers.ofKind('http')).map((p) => p.userId)).to.deep.equal(['@a:x']);
      // Setting it again (or another user taking the pushkey) starts delivery over from the position given.
      expect(await storage.pushers.set(pusher('@b:x', 20), false)).to.deep.equal(['@a:x']);
      expect(await storage.pushers.recordProgress(key, { lastStreamPosition: 13, failingSinceTs: null })).to.equal(false);
      await storage.pushers.set(pusher('@b:x', 30), false);
      expect(await storage.pushers.get({ ...key, userId: '@b:x' })).to.deep.include({ lastStreamPosition: 30 });
    });
  });
});
