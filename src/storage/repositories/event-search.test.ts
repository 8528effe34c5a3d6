import { expect } from 'chai';
import * as eventSearchMigration from '../../../migrations/0025-event-search.ts';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { openDatabase } from '../database.ts';
import { Storage } from '../storage.ts';
import type { StoredEvent } from './room-events.ts';
import type { SearchHit, SearchPageRequest } from './event-search.ts';

const roomId = '!r:x';

function storedEvent(position: number | null, type: string, content: object, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId: `$${type}-${position}-${JSON.stringify(content).length}`,
    roomId,
    type,
    stateKey: type === 'm.room.message' ? null : '',
    sender: '@a:x',
    depth: 1,
    originServerTs: 0,
    streamPosition: position,
    pdu: { type, content },
    outlier: position === null,
    rejectedReason: null,
    softFailed: false,
    stateBeforeGroup: null,
    stateAfterGroup: null,
    ...overrides,
  };
}

describe('EventSearchRepository (client-server-api "Server Side Search")', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    const page = (request: Partial<SearchPageRequest> & { words: string[] }) => storage.eventSearch.search({ keys: ['content.body'], roomIds: [roomId], orderBy: 'rank', limit: 100, ...request });

    it('migration 0025 indexes the stored timeline: not rejected, soft-failed, outlier or redacted events', async function () {
      const events = [
        storedEvent(1, 'm.room.message', { body: 'backfill kept' }),
        storedEvent(2, 'm.room.name', { name: 'backfill name' }),
        storedEvent(3, 'm.room.message', { body: 'backfill rejected' }, { rejectedReason: 'auth' }),
        storedEvent(4, 'm.room.message', { body: 'backfill soft failed' }, { softFailed: true }),
        storedEvent(null, 'm.room.message', { body: 'backfill outlier' }),
        storedEvent(5, 'm.room.message', { body: 'backfill redacted' }),
        storedEvent(-3, 'm.room.topic', { topic: 'backfill history' }),
      ];
      await storage.roomEvents.insertEvents(events);
      await storage.roomEvents.recordRedaction(events[5]!.eventId, '$redaction');
      const db = openDatabase(database());
      try {
        await eventSearchMigration.down(db);
        await eventSearchMigration.up(db);
      } finally {
        await db.destroy();
      }
      const found = await page({ words: ['backfill'], keys: ['content.body', 'content.name', 'content.topic'], orderBy: 'recent' });
      expect(found.map((hit) => hit.eventId)).to.deep.equal([events[1]!.eventId, events[0]!.eventId, events[6]!.eventId]);
      await storage.eventSearch.remove(found.map((hit) => hit.eventId));
    });

    it('cuts a term into the words the engine indexes, lower case, without query syntax', async function () {
      const words = await storage.eventSearch.words('"Foo OR bar* NEAR(baz) -qux \'x\\');
      expect(words).to.include.members(['foo', 'or', 'bar', 'near', 'baz', 'qux', 'x']);
      expect(words.join(' ')).to.not.match(/["*()'\\]/);
      expect(await storage.eventSearch.words(' *** ')).to.deep.equal([]);
    });

    it('pages by (rank, stream position) without repeats or gaps, ties included, and counts all matches', async function () {
      const texts = ['tie tie', 'tie', 'tie', 'tie tie', 'tie', 'tie once more here'];
      await storage.eventSearch.index(texts.map((text, i) => ({ eventId: `$tie${i}`, roomId, sender: '@a:x', key: 'content.body', streamPosition: 100 + i, text })));
      const all = await page({ words: ['tie'] });
      expect(all).to.have.length(6);
      const seen: SearchHit[] = [];
      let after: SearchHit | undefined;
      for (let i = 0; i < 10; i++) {
        const hits = await page({ words: ['tie'], limit: 2, after });
        if (hits.length === 0) break;
        seen.push(...hits);
        after = hits.at(-1);
      }
      expect(seen).to.deep.equal(all);
      const ranks = all.map((hit) => hit.rank);
      expect(ranks).to.deep.equal([...ranks].sort((a, b) => b - a));
      // Equal ranks: the newest first.
      const ties = all.filter((hit) => hit.rank === all.find((other) => other.eventId === '$tie1')!.rank).map((hit) => hit.eventId);
      expect(ties).to.deep.equal(['$tie4', '$tie2', '$tie1']);
      expect(await storage.eventSearch.count({ words: ['tie'], keys: ['content.body'], roomIds: [roomId] })).to.equal(6);
      await storage.eventSearch.remove(['$tie0', '$tie1']);
      expect((await page({ words: ['tie'] })).map((hit) => hit.eventId)).to.not.include.members(['$tie0', '$tie1']);
      expect(await storage.eventSearch.count({ words: ['tie'], keys: ['content.body'], roomIds: [roomId] })).to.equal(4);
    });
  });
});
