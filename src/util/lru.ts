import { LRUCache } from 'lru-cache';

export type LruOptions<K extends {}, V extends {}> = Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'>;

/**
 * An LRU cache of at most `entries` entries whose storage grows as it fills. lru-cache allocates
 * storage for `max` entries up front (some 30 bytes each); this server's caches are sized for busy
 * servers, so that was about 25 MiB of heap on an idle one. A size limit of one per entry bounds the
 * count the same way without the up-front allocation.
 */
export function lru<K extends {}, V extends {}>(entries: number, options: LruOptions<K, V> = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: () => 1 });
}
