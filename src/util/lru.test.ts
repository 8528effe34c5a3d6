import { expect } from 'chai';
import { lru } from './lru.ts';

describe('lru()', function () {
  it('holds at most the given number of entries, evicting the least recently used', function () {
    const evicted: string[] = [];
    const cache = lru<string, number>(3, { dispose: (_value, key, reason) => reason === 'evict' && evicted.push(key) });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('a');
    cache.set('d', 4);
    expect([...cache.keys()].sort()).to.deep.equal(['a', 'c', 'd']);
    expect(evicted).to.deep.equal(['b']);
  });

  it('allocates as it fills: a cache for a million entries costs next to nothing while empty', function () {
    const before = process.memoryUsage().heapUsed;
    const caches = Array.from({ length: 20 }, () => lru<string, number>(1_000_000));
    // lru-cache's own `max` would allocate some 30 MB per cache here.
    expect(process.memoryUsage().heapUsed - before).to.be.below(5 * 1024 * 1024);
    expect(caches.every((cache) => cache.size === 0)).to.equal(true);
  });
});
