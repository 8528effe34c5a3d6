import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';
import type { PushActionRecord } from './event-push-actions.ts';

const user = '@u:x';

function action(position: number, overrides: Partial<PushActionRecord> = {}): PushActionRecord {
  return { userId: user, roomId: '!r:x', eventId: `$${position}`, streamPosition: position, threadId: null, notify: true, highlight: false, actions: ['notify'], ...overrides };
}

describe('EventPushActionRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    let receiptPosition = 0;
    const receipt = (eventId: string, receiptType = 'm.read', threadId = '', roomId = '!r:x') =>
      storage.receipts.upsert({ roomId, receiptType, userId: user, threadId, eventId, ts: 0, streamPosition: ++receiptPosition });
    const counts = async (upTo = 100) =>
      (await storage.eventPushActions.unreadCounts(user, ['!r:x', '!s:x'], upTo)).sort((a, b) => `${a.roomId}${a.threadId}`.localeCompare(`${b.roomId}${b.threadId}`));

    before(async () => {
      ({ storage } = await Storage.open(database()));
      for (let position = 1; position <= 12; position++) {
        const roomId = position === 12 ? '!s:x' : '!r:x';
        await storage.roomEvents.insertEvent(
          { eventId: `$${position}`, roomId, type: 'm.room.message', stateKey: null, sender: '@a:x', depth: position, originServerTs: position, streamPosition: position, pdu: {}, outlier: false, rejectedReason: null, softFailed: false, stateBeforeGroup: null, stateAfterGroup: null },
        );
      }
      await storage.eventPushActions.insert([
        action(1),
        action(2, { highlight: true, actions: ['notify', { set_tweak: 'highlight' }] }),
        action(3, { threadId: '$1' }),
        action(4, { threadId: '$1', highlight: true }),
        action(5),
        action(12, { roomId: '!s:x' }),
        action(6, { userId: '@other:x' }),
      ]);
    });
    after(() => storage.close());

    it('counts notifying rows per room and thread up to a position, with no receipt', async function () {
      expect(await counts()).to.deep.equal([
        { roomId: '!r:x', threadId: '$1', notificationCount: 2, highlightCount: 1 },
        { roomId: '!r:x', threadId: null, notificationCount: 3, highlightCount: 1 },
        { roomId: '!s:x', threadId: null, notificationCount: 1, highlightCount: 0 },
      ]);
      expect((await counts(4)).map((c) => c.notificationCount)).to.deep.equal([2, 2]);
      expect(await storage.eventPushActions.unreadCounts(user, [], 100)).to.deep.equal([]);
    });

    it('a threaded receipt clears its thread up to its event; an unthreaded one clears every thread', async function () {
      await receipt('$5', 'm.read', 'main');
      expect((await counts()).filter((c) => c.roomId === '!r:x')).to.deep.equal([{ roomId: '!r:x', threadId: '$1', notificationCount: 2, highlightCount: 1 }]);
      await receipt('$3', 'm.read', '$1');
      expect((await counts()).filter((c) => c.roomId === '!r:x')).to.deep.equal([{ roomId: '!r:x', threadId: '$1', notificationCount: 1, highlightCount: 1 }]);
      await receipt('$4', 'm.read', '', '!r:x');
      expect((await counts()).map((c) => c.roomId)).to.deep.equal(['!s:x']);
    });

    it('the furthest of m.read and m.read.private counts, and a sent event moves the read point of its thread', async function () {
      await storage.eventPushActions.insert([action(7), action(8), action(9, { threadId: '$1' }), action(10, { notify: false, actions: [] })]);
      await receipt('$7', 'm.read.private', '');
      expect((await counts()).filter((c) => c.roomId === '!r:x')).to.deep.equal([
        { roomId: '!r:x', threadId: '$1', notificationCount: 1, highlightCount: 0 },
      ]);
      // $10 was sent by the user in the main timeline: $8 before it is read, thread $1 is not.
      await receipt('$6', 'm.read', '');
      expect((await counts()).filter((c) => c.roomId === '!r:x').map((c) => c.threadId)).to.deep.equal(['$1']);
      await storage.eventPushActions.insert([action(11, { threadId: '$1', notify: false, actions: [] })]);
      expect((await counts()).map((c) => c.roomId)).to.deep.equal(['!s:x']);
    });

    it('lists notifications newest first with their read flag, paged by position, optionally only highlights', async function () {
      const page = await storage.eventPushActions.notifications(user, { limit: 3, onlyHighlight: false });
      expect(page.map((n) => [n.eventId, n.read])).to.deep.equal([['$12', false], ['$9', true], ['$8', true]]);
      expect(page[0]).to.deep.include({ roomId: '!s:x', actions: ['notify'], threadId: null });
      const next = await storage.eventPushActions.notifications(user, { limit: 3, onlyHighlight: false, before: 8 });
      expect(next.map((n) => n.eventId)).to.deep.equal(['$7', '$5', '$4']);
      const highlights = await storage.eventPushActions.notifications(user, { limit: 10, onlyHighlight: true });
      expect(highlights.map((n) => n.eventId)).to.deep.equal(['$4', '$2']);
      expect(highlights[1]!.actions).to.deep.equal(['notify', { set_tweak: 'highlight' }]);
    });

    it('lists notifications for push delivery oldest first, after a position and up to another, with their read flag', async function () {
      const between = await storage.eventPushActions.notificationsBetween(user, 4, 12, 3);
      expect(between.map((n) => [n.eventId, n.read])).to.deep.equal([['$5', true], ['$7', true], ['$8', true]]);
      expect((await storage.eventPushActions.notificationsBetween(user, 8, 11, 10)).map((n) => n.eventId)).to.deep.equal(['$9']);
    });
  });
});
