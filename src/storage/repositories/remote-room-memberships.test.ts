import { expect } from 'chai';
import * as migration from '../../../migrations/0029-remote-room-memberships.ts';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { openDatabase } from '../database.ts';
import { Storage } from '../storage.ts';
import type { RemoteRoomMembership } from './remote-room-memberships.ts';

describe('RemoteRoomMembershipRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    const membership = (roomId: string, streamPosition: number, kind: RemoteRoomMembership['membership'] = 'knock', userId = '@bob:b.test'): RemoteRoomMembership => ({
      userId,
      roomId,
      eventId: `$${roomId}-${kind}`,
      roomVersion: '12',
      event: { type: 'm.room.member', content: { membership: kind } },
      strippedState: [{ type: 'm.room.name', state_key: '', sender: '@alice:a.test', content: { name: 'Room' } }],
      membership: kind,
      streamPosition,
    });

    it("keeps one row per user and room (the newest membership replaces the older), lists a user's oldest first, and removes", async function () {
      await storage.remoteRoomMemberships.put(membership('!two:a.test', 7));
      await storage.remoteRoomMemberships.put(membership('!one:a.test', 5, 'invite'));
      expect((await storage.remoteRoomMemberships.forUser('@bob:b.test')).map((m) => m.roomId)).to.deep.equal(['!one:a.test', '!two:a.test']);
      await storage.remoteRoomMemberships.put(membership('!one:a.test', 9, 'leave'));
      await storage.remoteRoomMemberships.put(membership('!two:a.test', 10, 'invite'));
      const [first, second] = await storage.remoteRoomMemberships.forUser('@bob:b.test');
      expect(first).to.deep.equal(membership('!one:a.test', 9, 'leave'));
      expect(second).to.deep.equal(membership('!two:a.test', 10, 'invite'));
      expect(await storage.remoteRoomMemberships.forUser('@carol:b.test')).to.deep.equal([]);
      await storage.remoteRoomMemberships.remove('@bob:b.test', '!two:a.test');
      expect((await storage.remoteRoomMemberships.forUser('@bob:b.test')).map((m) => m.roomId)).to.deep.equal(['!one:a.test']);
    });

    // Last: it drops and recreates the table.
    it('the migration keeps the rows of remote_invites and remote_knocks, the newer where both name a user and room', async function () {
      const db = openDatabase(database());
      try {
        await migration.down(db);
        const row = (table: 'remote_invites' | 'remote_knocks', roomId: string, kind: string, position: number) => {
          const state = JSON.stringify([{ type: 'm.room.name', state_key: '', content: { name: `${table} ${roomId}` } }]);
          return db(table).insert({
            user_id: '@carol:b.test',
            room_id: roomId,
            event_id: `$${table}-${roomId}`,
            room_version: '11',
            event_json: '{}',
            [table === 'remote_invites' ? 'invite_state_json' : 'knock_state_json']: state,
            membership: kind,
            stream_position: position,
          });
        };
        await row('remote_invites', '!a:x', 'invite', 3);
        await row('remote_knocks', '!b:x', 'knock', 4);
        await row('remote_knocks', '!c:x', 'knock', 5);
        await row('remote_invites', '!c:x', 'invite', 6);
        await migration.up(db);
        const rows = await storage.remoteRoomMemberships.forUser('@carol:b.test');
        expect(rows.map((m) => [m.roomId, m.membership, m.eventId, m.strippedState[0]?.content])).to.deep.equal([
          ['!a:x', 'invite', '$remote_invites-!a:x', { name: 'remote_invites !a:x' }],
          ['!b:x', 'knock', '$remote_knocks-!b:x', { name: 'remote_knocks !b:x' }],
          ['!c:x', 'invite', '$remote_invites-!c:x', { name: 'remote_invites !c:x' }],
        ]);
      } finally {
        await db.destroy();
      }
    });
  });
});
