import { expect } from 'chai';
import { getHeapSpaceStatistics } from 'node:v8';
import { eventually } from '../../spec-tests/harness/federation.ts';
import { compactHeapWhenQuiet, type HeapCollection } from './heap-compaction.ts';

const mib = 1024 * 1024;

/** Free bytes inside the old generation's pages: what a collection that does not compact leaves committed. */
function oldSpaceSlack(): number {
  const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!;
  return old.space_size - old.space_used_size;
}

/** Some 100 MiB of objects that live long enough to be promoted, of which one in 50 stays alive: their pages stay in use. */
function burst(): object[] {
  const survivors: object[] = [];
  const generations: object[][] = [];
  for (let round = 0; round < 20; round++) {
    const generation: object[] = [];
    for (let i = 0; i < 50_000; i++) generation.push({ round, i, text: `item ${round}-${i}` });
    generations.push(generation);
    for (let i = 0; i < generation.length; i += 50) survivors.push(generation[i]!);
  }
  generations.length = 0;
  return survivors;
}

describe('heap compaction when quiet', function () {
  it('compacts a heap grown by a burst once the event loop is quiet, so the old generation holds little free space', async function () {
    const collections: HeapCollection[] = [];
    const compaction = compactHeapWhenQuiet({ intervalMs: 100, growthBytes: 16 * mib, quietIntervalsToShrink: 1_000, onCollected: (c) => collections.push(c) });
    try {
      const survivors = burst();
      await eventually(async () => collections.length > 0, 10_000, 'a collection');
      expect(collections[0]!.reason).to.equal('compact');
      expect(collections[0]!.heapAfterBytes).to.be.below(collections[0]!.heapBeforeBytes);
      expect(oldSpaceSlack()).to.be.below(8 * mib);
      expect(survivors.length).to.equal(20_000);
    } finally {
      compaction.stop();
    }
  });

  it('does not collect while the event loop is busy, however much the heap grows', async function () {
    const collections: HeapCollection[] = [];
    const compaction = compactHeapWhenQuiet({ intervalMs: 50, growthBytes: 1 * mib, onCollected: (c) => collections.push(c) });
    try {
      const until = Date.now() + 1_000;
      const kept: object[] = [];
      // Busy in turns of 20 ms that yield to timers between them, as a loaded server does.
      while (Date.now() < until) {
        const turnEnd = Date.now() + 20;
        while (Date.now() < turnEnd) kept.push({ at: Date.now(), text: `busy ${kept.length}` });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(collections).to.deep.equal([]);
    } finally {
      compaction.stop();
    }
  });
});
