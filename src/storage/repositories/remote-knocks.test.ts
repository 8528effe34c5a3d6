import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';
import type { RemoteKnock } from './remote-knocks.ts';

describe('RemoteKnockRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    const knock = (roomId: string, streamPosition: number, membership: RemoteKnock['membership'] = 'knock'): RemoteKnock => ({
      userId: '@bob:b.test',
      roomId,
      eventId: `$${roomId}-${membership}`,
      roomVersion: '12',
      event: { type: 'm.room.member', content: { membership } },
      knockState: [{ type: 'm.room.name', state_key: '', sender: '@alice:a.test', content: { name: 'Room' } }],
      membership,
      streamPosition,
    });

    it("keeps one row per user and room (a retraction replaces the knock), lists a user's oldest first, and removes", async function () {
      await storage.remoteKnocks.put(knock('!two:a.test', 7));
      await storage.remoteKnocks.put(knock('!one:a.test', 5));
      expect((await storage.remoteKnocks.forUser('@bob:b.test')).map((k) => k.roomId)).to.deep.equal(['!one:a.test', '!two:a.test']);
      await storage.remoteKnocks.put(knock('!one:a.test', 9, 'leave'));
      const [first, second] = await storage.remoteKnocks.forUser('@bob:b.test');
      expect(first).to.deep.equal(knock('!two:a.test', 7));
      expect(second).to.deep.equal(knock('!one:a.test', 9, 'leave'));
      expect(await storage.remoteKnocks.forUser('@carol:b.test')).to.deep.equal([]);
      await storage.remoteKnocks.remove('@bob:b.test', '!two:a.test');
      expect((await storage.remoteKnocks.forUser('@bob:b.test')).map((k) => k.roomId)).to.deep.equal(['!one:a.test']);
    });
  });
});
