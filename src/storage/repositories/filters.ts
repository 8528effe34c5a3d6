/** Uploaded /sync filters (table filters), numbered from 0 per user. */
import type { Database } from '../database.ts';

interface Row {
  user_id: string;
  filter_id: number;
  filter_json: string;
}

export class FilterRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a filter under the next free number; identical filters get one number. Two concurrent
   * uploads on PostgreSQL can pick the same number: the loser's insert fails and it tries again.
   */
  async add(userId: string, filterJson: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryAdd(userId, filterJson);
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  private tryAdd(userId: string, filterJson: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const existing = await tx<Row>('filters').where({ user_id: userId, filter_json: filterJson }).first('filter_id');
      if (existing) return existing.filter_id;
      const last = await tx<Row>('filters').where('user_id', userId).max<{ max: number | null }>('filter_id as max').first();
      const filterId = (last?.max ?? -1) + 1;
      await tx<Row>('filters').insert({ user_id: userId, filter_id: filterId, filter_json: filterJson });
      return filterId;
    });
  }

  async get(userId: string, filterId: number): Promise<unknown> {
    const row = await this.db<Row>('filters').where({ user_id: userId, filter_id: filterId }).first();
    return row && (JSON.parse(row.filter_json) as unknown);
  }
}
