/** Stored /sync filters (client-server-api "Filtering"): kept as uploaded, found again by number. */
import type { Storage } from '../../storage/storage.ts';

export class Filters {
  constructor(private readonly storage: Storage) {}

  add(userId: string, filter: object): Promise<number> {
    return this.storage.filters.add(userId, JSON.stringify(filter));
  }

  get(userId: string, filterId: number): Promise<unknown> {
    return this.storage.filters.get(userId, filterId);
  }
}
