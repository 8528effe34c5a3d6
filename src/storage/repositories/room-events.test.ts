import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';
import type { StoredEvent } from './room-events.ts';

function event(eventId: string, position: number | null, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId,
    roomId: '!r:x',
    type: 'm.room.message',
    stateKey: null,
    sender: '@a:x',
    depth: position ?? 0,
    originServerTs: 1000 + (position ?? 0),
    streamPosition: position,
    pdu: { type: 'm.room.message', content: { body: eventId } },
    outlier: position === null,
    rejectedReason: null,
    softFailed: false,
    stateBeforeGroup: null,
    stateAfterGroup: null,
    ...overrides,
  };
}

describe('RoomEventRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('stores rooms and events, and reads events back by ID with their PDU', async function () {
      await storage.roomEvents.createRoom({ roomId: '!r:x', roomVersion: '12', creator: '@a:x', isPublic: false, createdTs: 1, currentStateGroup: null });
      await storage.roomEvents.setCurrentStateGroup('!r:x', 7);
      expect(await storage.roomEvents.room('!r:x')).to.deep.equal({ roomId: '!r:x', roomVersion: '12', creator: '@a:x', isPublic: false, createdTs: 1, currentStateGroup: 7 });
      await storage.roomEvents.insertEvent(event('$1', 1));
      await storage.roomEvents.insertEvent(event('$2', 2));
      await storage.roomEvents.insertEvent(event('$out', null));
      const found = await storage.roomEvents.events(['$1', '$2', '$out', '$missing']);
      expect([...found.keys()].sort()).to.deep.equal(['$1', '$2', '$out']);
      expect(found.get('$2')).to.deep.equal(event('$2', 2));
      expect(found.get('$out')!.outlier).to.equal(true);
    });

    it('pages the timeline newest first, skipping outliers', async function () {
      await storage.roomEvents.insertEvent(event('$3', 3));
      expect((await storage.roomEvents.latestEvents('!r:x', 2)).map((e) => e.eventId)).to.deep.equal(['$3', '$2']);
      expect((await storage.roomEvents.latestEvents('!r:x', 10, 3)).map((e) => e.eventId)).to.deep.equal(['$2', '$1']);
    });

    it('reads timeline ranges in both directions and finds rooms with new events', async function () {
      expect((await storage.roomEvents.timelineBetween('!r:x', 1, 3, 'f', 10)).map((e) => e.eventId)).to.deep.equal(['$2', '$3']);
      expect((await storage.roomEvents.timelineBetween('!r:x', 0, 3, 'b', 2)).map((e) => e.eventId)).to.deep.equal(['$3', '$2']);
      expect(await storage.roomEvents.roomsWithEventsBetween(['!r:x', '!other:x'], 2, 3)).to.deep.equal(new Set(['!r:x']));
      expect(await storage.roomEvents.roomsWithEventsBetween(['!r:x'], 3, 3)).to.deep.equal(new Set());
    });

    it('backfilled history: an outlier takes a negative stream position below the timeline; outliers stored twice are kept once', async function () {
      await storage.roomEvents.insertEvents([event('$old', null)], { ignoreKnown: true });
      // A second fetch of the same outlier (and its edges) leaves the first as it is.
      await storage.roomEvents.insertEvents([event('$old', null, { depth: 99 })], { ignoreKnown: true });
      expect((await storage.roomEvents.events(['$old'])).get('$old')!.depth).to.equal(0);
      const promoted = { eventId: '$old', streamPosition: -1, pdu: { type: 'm.room.message', content: { body: '$old' } }, rejectedReason: null, stateBeforeGroup: 4, stateAfterGroup: 4 };
      expect(await storage.roomEvents.promoteOutlier(promoted)).to.equal(true);
      // Only an outlier is promoted.
      expect(await storage.roomEvents.promoteOutlier({ ...promoted, streamPosition: -2 })).to.equal(false);
      expect((await storage.roomEvents.events(['$old'])).get('$old')).to.include({ outlier: false, streamPosition: -1, stateAfterGroup: 4 });
      expect((await storage.roomEvents.timelineBetween('!r:x', -Number.MAX_SAFE_INTEGER, 3, 'b', 10)).map((e) => e.eventId)).to.deep.equal(['$3', '$2', '$1', '$old']);
      // Ranges above 0 (what /sync reads) never include it.
      expect((await storage.roomEvents.timelineBetween('!r:x', 0, 3, 'f', 10)).map((e) => e.eventId)).to.deep.equal(['$1', '$2', '$3']);
    });

    it('remembers transaction IDs per device and forgotten rooms per user', async function () {
      await storage.roomEvents.recordTransactionIds([{ eventId: '$2', userId: '@a:x', deviceId: 'DEV', txnId: 'txn1' }]);
      expect(await storage.roomEvents.transactionIds(['$1', '$2'], '@a:x', 'DEV')).to.deep.equal(new Map([['$2', 'txn1']]));
      expect(await storage.roomEvents.transactionIds(['$2'], '@a:x', 'OTHER')).to.deep.equal(new Map());
      await storage.roomEvents.forget('@a:x', '!r:x');
      await storage.roomEvents.forget('@a:x', '!r:x');
      expect(await storage.roomEvents.forgottenRooms('@a:x')).to.deep.equal(new Set(['!r:x']));
      await storage.roomEvents.unforget('@a:x', '!r:x');
      expect(await storage.roomEvents.forgottenRooms('@a:x')).to.deep.equal(new Set());
    });

    it('maps local aliases to rooms, refusing a taken alias', async function () {
      expect(await storage.roomAliases.create({ roomAlias: '#a:x', roomId: '!r:x', creator: '@a:x' })).to.equal(true);
      expect(await storage.roomAliases.create({ roomAlias: '#a:x', roomId: '!s:x', creator: '@b:x' })).to.equal(false);
      expect(await storage.roomAliases.get('#a:x')).to.deep.equal({ roomAlias: '#a:x', roomId: '!r:x', creator: '@a:x' });
      expect(await storage.roomAliases.ofRoom('!r:x')).to.deep.equal(['#a:x']);
      await storage.roomAliases.delete('#a:x');
      expect(await storage.roomAliases.get('#a:x')).to.equal(undefined);
    });

    it('moves forward extremities to the new event, keeping parallel branches', async function () {
      await storage.roomEvents.advanceForwardExtremities('!r:x', '$1', []);
      await storage.roomEvents.advanceForwardExtremities('!r:x', '$2', ['$1']);
      await storage.roomEvents.advanceForwardExtremities('!r:x', '$fork', ['$1']);
      expect(await storage.roomEvents.forwardExtremities('!r:x')).to.deep.equal(['$2', '$fork']);
      await storage.roomEvents.advanceForwardExtremities('!r:x', '$merge', ['$2', '$fork']);
      expect(await storage.roomEvents.forwardExtremities('!r:x')).to.deep.equal(['$merge']);
    });

    it('materialises current state and finds a user\'s rooms by membership', async function () {
      await storage.roomEvents.applyCurrentStateChanges('!r:x', [
        { type: 'm.room.create', stateKey: '', eventId: '$c' },
        { type: 'm.room.member', stateKey: '@a:x', eventId: '$ja', membership: 'join' },
        { type: 'm.room.member', stateKey: '@b:x', eventId: '$ib', membership: 'invite' },
      ]);
      expect(await storage.roomEvents.roomsOfUser('@a:x', ['join'])).to.deep.equal([{ roomId: '!r:x', membership: 'join' }]);
      expect(await storage.roomEvents.roomsOfUser('@b:x', ['join'])).to.deep.equal([]);
      await storage.roomEvents.applyCurrentStateChanges('!r:x', [{ type: 'm.room.member', stateKey: '@b:x', eventId: '$jb', membership: 'join' }, { type: 'm.room.create', stateKey: '', eventId: null }]);
      expect((await storage.roomEvents.roomsOfUser('@b:x', ['join'])).map((r) => r.roomId)).to.deep.equal(['!r:x']);
      expect(await storage.roomEvents.currentState('!r:x')).to.deep.equal(new Map([['m.room.member\u0000@a:x', '$ja'], ['m.room.member\u0000@b:x', '$jb']]));
    });
  });
});
