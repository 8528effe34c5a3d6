import { expect } from 'chai';
import type { RoomEvent } from '../../core/events/pdu.ts';
import { Storage } from '../../storage/storage.ts';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { searchIndexHook } from './search-index.ts';

const roomId = '!r:x';

function event(eventId: string, fields: Partial<RoomEvent>): RoomEvent {
  return { eventId, roomId, type: 'm.room.message', sender: '@a:x', stateKey: undefined, content: {}, redacts: undefined, ...fields } as RoomEvent;
}

describe('the search index persist hook (client-server-api "Server Side Search")', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    const run = (events: RoomEvent[]) =>
      storage.transaction((tx) => searchIndexHook(tx, events.map((e, i) => ({ appended: { event: e, streamPosition: 10 + i }, stateAfter: new Map() }))) as Promise<unknown>);
    const found = async (word: string) =>
      (await storage.eventSearch.search({ words: [word], keys: ['content.body', 'content.name', 'content.topic'], roomIds: [roomId], orderBy: 'recent', limit: 10 })).map((hit) => hit.eventId);

    it('indexes searchable events and takes out the events their redactions name, in one batch or later', async function () {
      await run([event('$m1', { content: { body: 'hook alpha' } }), event('$n1', { type: 'm.room.name', stateKey: '', content: { name: 'hook name' } }), event('$x', { type: 'm.reaction', content: { body: 'hook' } })]);
      expect(await found('hook')).to.deep.equal(['$n1', '$m1']);
      await run([event('$m2', { content: { body: 'hook beta' } }), event('$r2', { type: 'm.room.redaction', redacts: '$m2' as RoomEvent['redacts'] })]);
      await run([event('$r1', { type: 'm.room.redaction', redacts: '$m1' as RoomEvent['redacts'] })]);
      expect(await found('hook')).to.deep.equal(['$n1']);
    });

    it('does not index an event whose redaction was stored before it (federation may deliver it first)', async function () {
      await storage.roomEvents.recordRedaction('$early', '$redaction');
      await run([event('$early', { content: { body: 'hook early' } })]);
      expect(await found('early')).to.deep.equal([]);
    });
  });
});
