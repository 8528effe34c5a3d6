/**
 * Positions of the /sync streams (table stream_counters). Call nextPosition inside the transaction
 * that writes the row it numbers: the counter row stays locked until that transaction commits, so a
 * stream's positions become visible in order.
 *
 * On SQLite, where transactions take turns on the one writer, the last position reserved is kept in
 * memory (writerMemo) after the first read: reserving costs a write whose result nobody waits for, so
 * a batch of events needs no round trip to the writer thread before its COMMIT. The write checks that
 * the counter still holds what the memory says (another process, such as `lattice register-user`, may
 * have moved it): if not, it sets NULL, which the column refuses, and the transaction fails.
 */
import type { Knex } from 'knex';
import { resultIgnored, type Database } from '../database.ts';
import { writerMemo } from '../sqlite-client.ts';

/**
 * `backfill` numbers the events fetched from the room's past (Backfiller): an event there takes the
 * position minus the counter, so history sits below every live event and is never "new" to /sync.
 */
export type StreamName = 'account_data' | 'push_rules' | 'device_lists' | 'to_device' | 'events' | 'receipts' | 'presence' | 'backfill';

interface Row {
  stream: string;
  position: number;
}

export class StreamCounterRepository {
  constructor(private readonly db: Database) {}

  async nextPosition(stream: StreamName): Promise<number> {
    return this.nextPositions(stream, 1);
  }

  /**
   * Reserves `count` consecutive positions (a writer committing several rows at once, as the event
   * persister does) and returns the first. One statement once the stream's row exists.
   */
  async nextPositions(stream: StreamName, count: number): Promise<number> {
    const memo = writerMemo(this.db.client);
    if (memo === undefined) return this.increment(stream, count);
    if (!(this.db as Knex.Transaction).isTransaction) return this.db.transaction((tx) => new StreamCounterRepository(tx).nextPositions(stream, count));
    const last = memo.get(stream);
    if (last === undefined) {
      const first = await this.increment(stream, count);
      memo.set(stream, first + count - 1);
      return first;
    }
    memo.set(stream, last + count);
    await this.db<Row>('stream_counters')
      .where('stream', stream)
      .update({ position: this.db.raw('case when position = ? then ? end', [last, last + count]) as unknown as number })
      .options(resultIgnored);
    return last + 1;
  }

  private async increment(stream: StreamName, count: number): Promise<number> {
    let [row] = await this.db<Row>('stream_counters').where('stream', stream).increment('position', count).returning('position');
    if (row === undefined) {
      await this.db<Row>('stream_counters').insert({ stream, position: 0 }).onConflict('stream').ignore();
      [row] = await this.db<Row>('stream_counters').where('stream', stream).increment('position', count).returning('position');
    }
    return Number(row!.position) - count + 1;
  }

  async currentPosition(stream: StreamName): Promise<number> {
    const row = await this.db<Row>('stream_counters').where('stream', stream).first();
    return row ? Number(row.position) : 0;
  }
}
