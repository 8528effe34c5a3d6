import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

const me = '@me:test';
const user = (name: string) => `@${name}:test`;

describe('E2eeKeyRepository device list reads over shared rooms', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
      const members = async (roomId: string, memberships: Record<string, string>) =>
        storage.roomEvents.applyCurrentStateChanges(
          roomId,
          Object.entries(memberships).map(([userId, membership]) => ({ type: 'm.room.member', stateKey: userId, eventId: `$${roomId}${userId}`, membership })),
        );
      await members('!a:test', { [me]: 'join', [user('u1')]: 'join', [user('u2')]: 'join', [user('gone')]: 'leave' });
      await members('!b:test', { [me]: 'join', [user('u3')]: 'join' });
      await members('!c:test', { [user('u4')]: 'join', [user('u5')]: 'join' });
      // An invite is not a shared room.
      await members('!d:test', { [me]: 'invite', [user('u6')]: 'join' });
      // 250 users who share nothing with me, so a range over all of them is a long one.
      for (let i = 1; i <= 250; i++) await storage.e2eeKeys.recordDeviceListChange(user(`filler${i}`), i);
      const changes: Array<[string, number]> = [[user('u1'), 260], [user('u4'), 270], [user('gone'), 275], [user('u3'), 290], [me, 295], [user('u6'), 296], [user('u1'), 297]];
      for (const [userId, position] of changes) await storage.e2eeKeys.recordDeviceListChange(userId, position);
    });
    after(() => storage.close());

    it('lists the room-mates (and the user) whose device lists changed, alike over a short or a long range', async function () {
      // 257 distinct users changed: read through the room-mates.
      expect(await storage.e2eeKeys.roomMatesWithDeviceListChanges(me, 0, 300)).to.deep.equal([me, user('u1'), user('u3')]);
      // A few users: each checked against the shared rooms.
      expect(await storage.e2eeKeys.roomMatesWithDeviceListChanges(me, 280, 300)).to.deep.equal([me, user('u1'), user('u3')]);
      expect(await storage.e2eeKeys.roomMatesWithDeviceListChanges(me, 255, 291)).to.deep.equal([user('u1'), user('u3')]);
      expect(await storage.e2eeKeys.roomMatesWithDeviceListChanges(me, 297, 300)).to.deep.equal([]);
      // Someone in no room at all still hears of their own changes.
      expect(await storage.e2eeKeys.roomMatesWithDeviceListChanges(user('filler3'), 0, 300)).to.deep.equal([user('filler3')]);
    });

    it('tells who shares a joined room with the user, among all or among candidates', async function () {
      expect([...(await storage.roomMemberships.usersSharingRoomsWith(me))].sort()).to.deep.equal([me, user('u1'), user('u2'), user('u3')]);
      expect([...(await storage.roomMemberships.usersSharingRoomsWith(me, [user('u2'), user('u4'), user('u6'), user('gone')]))]).to.deep.equal([user('u2')]);
      expect(await storage.roomMemberships.usersSharingRoomsWith(me, [])).to.deep.equal(new Set());
      expect((await storage.roomMemberships.joinedMembersOf(['!a:test', '!c:test'])).sort()).to.deep.equal([me, user('u1'), user('u2'), user('u4'), user('u5')]);
    });
  });
});
