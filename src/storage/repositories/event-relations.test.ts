import { expect } from 'chai';
import * as migration from '../../../migrations/0024-event-relations.ts';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { openDatabase } from '../database.ts';
import { Storage } from '../storage.ts';
import type { RelationRecord } from './event-relations.ts';

const roomId = '!r:x';

function relation(position: number, relatesToId: string, relType: string, overrides: Partial<RelationRecord> = {}): RelationRecord {
  return { eventId: `$${position}`, relatesToId, relType, roomId, type: 'm.room.message', sender: '@a:x', streamPosition: position, originServerTs: 1000 + position, key: null, ...overrides };
}

describe('EventRelationRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;

    before(async () => {
      ({ storage } = await Storage.open(database()));
      await storage.roomEvents.insertEvent(
        { eventId: '$root', roomId, type: 'm.room.message', stateKey: null, sender: '@root:x', depth: 1, originServerTs: 1, streamPosition: 1, pdu: {}, outlier: false, rejectedReason: null, softFailed: false, stateBeforeGroup: null, stateAfterGroup: null },
      );
      await storage.eventRelations.insert([
        relation(2, '$root', 'm.thread'),
        relation(3, '$root', 'm.thread', { sender: '@b:x' }),
        relation(4, '$root', 'm.thread'),
        relation(5, '$root', 'm.reference'),
        relation(6, '$4', 'm.replace'),
        relation(7, '$6', 'm.annotation', { type: 'm.reaction', key: '👍' }),
        relation(8, '$root', 'm.annotation', { type: 'm.reaction', key: '👍', roomId: '!other:x' }),
      ]);
      for (const record of [relation(2, '$root', 'm.thread'), relation(3, '$root', 'm.thread'), relation(4, '$root', 'm.thread')]) {
        await storage.eventRelations.advanceThread(record.relatesToId, roomId, record.eventId, record.streamPosition);
      }
    });
    after(() => storage.close());

    it('aggregation rows: thread replies per sender with their latest, edits and references one each', async function () {
      const rows = await storage.eventRelations.aggregationRows(['$root', '$4', '$none']);
      expect(rows.map(({ relatesToId, relType, sender, eventId, count }) => ({ relatesToId, relType, sender, eventId, count }))).to.deep.equal([
        { relatesToId: '$root', relType: 'm.thread', sender: '@b:x', eventId: '$3', count: 1 },
        { relatesToId: '$root', relType: 'm.thread', sender: '@a:x', eventId: '$4', count: 2 },
        { relatesToId: '$root', relType: 'm.reference', sender: '@a:x', eventId: '$5', count: 1 },
        { relatesToId: '$4', relType: 'm.replace', sender: '@a:x', eventId: '$6', count: 1 },
      ]);
    });

    it('pages children both ways, filtered, and recursively through matching events only', async function () {
      const page = async (request: Partial<Parameters<Storage['eventRelations']['page']>[0]>) =>
        (await storage.eventRelations.page({ parentId: '$root', roomId, after: -1000, upTo: 1000, dir: 'b', limit: 10, depth: 1, ...request })).map((row) => row.eventId);
      expect(await page({})).to.deep.equal(['$5', '$4', '$3', '$2']);
      expect(await page({ dir: 'f', limit: 2 })).to.deep.equal(['$2', '$3']);
      expect(await page({ dir: 'f', after: 3, upTo: 4 })).to.deep.equal(['$4']);
      expect(await page({ relType: 'm.reference' })).to.deep.equal(['$5']);
      expect(await page({ depth: 3 })).to.deep.equal(['$7', '$6', '$5', '$4', '$3', '$2']);
      expect(await page({ depth: 2 })).to.deep.equal(['$6', '$5', '$4', '$3', '$2']);
      expect(await page({ depth: 3, relType: 'm.thread' })).to.deep.equal(['$4', '$3', '$2']);
      expect(await page({ depth: 3, eventType: 'm.reaction' })).to.deep.equal([]);
    });

    it('threads by latest reply, with participation, and kept up to date when replies go', async function () {
      await storage.roomEvents.insertEvent(
        { eventId: '$root2', roomId, type: 'm.room.message', stateKey: null, sender: '@c:x', depth: 1, originServerTs: 1, streamPosition: 10, pdu: {}, outlier: false, rejectedReason: null, softFailed: false, stateBeforeGroup: null, stateAfterGroup: null },
      );
      await storage.eventRelations.insert([relation(11, '$root2', 'm.thread', { sender: '@c:x' })]);
      await storage.eventRelations.advanceThread('$root2', roomId, '$11', 11);
      // A backfilled (older) reply does not move the thread back.
      await storage.eventRelations.advanceThread('$root2', roomId, '$-5', -5);
      expect(await storage.eventRelations.threads(roomId, { limit: 10 })).to.deep.equal([
        { threadId: '$root2', latestPosition: 11 },
        { threadId: '$root', latestPosition: 4 },
      ]);
      expect(await storage.eventRelations.threads(roomId, { limit: 10, upTo: 10 })).to.deep.equal([{ threadId: '$root', latestPosition: 4 }]);
      expect((await storage.eventRelations.threads(roomId, { limit: 10, participant: '@b:x' })).map((t) => t.threadId)).to.deep.equal(['$root']);
      expect((await storage.eventRelations.threads(roomId, { limit: 10, participant: '@c:x' })).map((t) => t.threadId)).to.deep.equal(['$root2']);
      expect((await storage.eventRelations.threads(roomId, { limit: 10, participant: '@root:x' })).map((t) => t.threadId)).to.deep.equal(['$root']);

      expect((await storage.eventRelations.remove('$11'))?.relatesToId).to.equal('$root2');
      await storage.eventRelations.refreshThread('$root2', roomId);
      expect((await storage.eventRelations.remove('$4'))?.relType).to.equal('m.thread');
      await storage.eventRelations.refreshThread('$root', roomId);
      expect(await storage.eventRelations.threads(roomId, { limit: 10 })).to.deep.equal([{ threadId: '$root', latestPosition: 3 }]);
    });

    it('finds an annotation already sent', async function () {
      expect(await storage.eventRelations.hasAnnotation('$6', '@a:x', 'm.reaction', '👍')).to.equal(true);
      expect(await storage.eventRelations.hasAnnotation('$6', '@a:x', 'm.reaction', '👎')).to.equal(false);
    });

    // Last: it drops and recreates the tables.
    it('the migration indexes the events stored before it, leaving out redacted and rejected ones', async function () {
      const db = openDatabase(database());
      try {
        await migration.down(db);
        const stored = (position: number, content: object, overrides: object = {}) =>
          storage.roomEvents.insertEvent(
            { eventId: `$m${position}`, roomId, type: 'm.room.message', stateKey: null, sender: '@a:x', depth: position, originServerTs: position, streamPosition: 100 + position, pdu: { content }, outlier: false, rejectedReason: null, softFailed: false, stateBeforeGroup: null, stateAfterGroup: null, ...overrides },
          );
        await stored(1, { body: 'root' });
        await stored(2, { body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: '$m1' } });
        await stored(3, { body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: '$m1' } });
        await stored(4, { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$m1', key: 'k' } }, { rejectedReason: 'auth' });
        await stored(5, { 'm.relates_to': { rel_type: 'm.reference', event_id: '$m1' } });
        await stored(6, { 'm.relates_to': { 'm.in_reply_to': { event_id: '$m1' } } });
        await storage.roomEvents.recordRedaction('$m3', '$redaction');
        await migration.up(db);
        expect((await storage.eventRelations.aggregationRows(['$m1'])).map((row) => [row.relType, row.eventId])).to.deep.equal([
          ['m.thread', '$m2'],
          ['m.reference', '$m5'],
        ]);
        expect(await storage.eventRelations.threads(roomId, { limit: 10 })).to.deep.equal([{ threadId: '$m1', latestPosition: 102 }]);
        expect(await storage.eventRelations.hasAnnotation('$m1', '@a:x', 'm.room.message', 'k')).to.equal(false);
      } finally {
        await db.destroy();
      }
    });
  });
});
