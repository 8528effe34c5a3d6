import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

const key = (type: string, stateKey = '') => `${type}\u0000${stateKey}`;

describe('StateGroupRepository (state snapshots as bounded delta chains)', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    it('reads back a snapshot, and a delta with additions, changes and removals', async function () {
      const base = new Map([
        [key('m.room.create'), '$create'],
        [key('m.room.member', '@a:x'), '$join-a'],
        [key('m.room.topic'), '$topic1'],
      ]);
      const baseId = await storage.stateGroups.create('!r:x', base);
      expect(await storage.stateGroups.state(baseId)).to.deep.equal(base);

      const next = new Map(base);
      next.set(key('m.room.member', '@b:x'), '$join-b');
      next.set(key('m.room.topic'), '$topic2');
      next.delete(key('m.room.member', '@a:x'));
      const nextId = await storage.stateGroups.create('!r:x', next, { id: baseId, state: base });
      expect(await storage.stateGroups.state(nextId)).to.deep.equal(next);
      expect(await storage.stateGroups.state(baseId)).to.deep.equal(base);
    });

    it('keeps reading right across a chain longer than the delta limit (snapshots restart the chain)', async function () {
      let state = new Map([[key('m.room.create'), '$create']]);
      let id = await storage.stateGroups.create('!long:x', state);
      for (let i = 0; i < 120; i++) {
        const next = new Map(state);
        next.set(key('m.room.member', `@u${i}:x`), `$join${i}`);
        if (i % 3 === 0) next.set(key('m.room.topic'), `$topic${i}`);
        id = await storage.stateGroups.create('!long:x', next, { id, state });
        state = next;
      }
      const read = await storage.stateGroups.state(id);
      expect(read.size).to.equal(122);
      expect(read).to.deep.equal(state);
    });

    it('stores a large state (over the per-statement parameter limit) in one snapshot', async function () {
      const big = new Map(Array.from({ length: 3000 }, (_, i) => [key('m.room.member', `@user${i}:x`), `$e${i}`]));
      const id = await storage.stateGroups.create('!big:x', big);
      expect((await storage.stateGroups.state(id)).size).to.equal(3000);
    });
  });
});
