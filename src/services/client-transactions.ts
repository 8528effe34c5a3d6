/**
 * Transaction-ID idempotency (client-server-api "Transaction identifiers"): a PUT retried with the
 * same transaction ID by the same device returns the first response and does not act again. The
 * work and the record of its response commit together.
 */
import type { TransactionKey } from '../storage/repositories/client-transactions.ts';
import type { Repositories, Storage } from '../storage/storage.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';

class AlreadyRecorded extends Error {}

export class ClientTransactions {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  async once<T>(key: TransactionKey, work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.mutex.run(`${key.userId}|${key.deviceId}|${key.endpoint}|${key.txnId}`, async () => {
      try {
        return await this.storage.transaction(async (tx) => {
          const earlier = await tx.clientTransactions.response(key);
          if (earlier !== undefined) return earlier as T;
          const response = await work(tx);
          // Another process may have recorded the same transaction meanwhile: then this one rolls back.
          if (!(await tx.clientTransactions.record(key, response, this.clock()))) throw new AlreadyRecorded();
          return response;
        });
      } catch (error) {
        if (!(error instanceof AlreadyRecorded)) throw error;
        return (await this.storage.clientTransactions.response(key)) as T;
      }
    });
  }

  /**
   * Like once, for work that commits through its own transaction (the timeline's): it receives a
   * `record` hook to call inside that transaction, so the response and the work commit together.
   */
  async onceWithin<T>(key: TransactionKey, work: (record: (tx: Repositories, response: T) => Promise<void>) => Promise<T>): Promise<T> {
    return this.mutex.run(`${key.userId}|${key.deviceId}|${key.endpoint}|${key.txnId}`, async () => {
      const earlier = await this.storage.clientTransactions.response(key);
      if (earlier !== undefined) return earlier as T;
      try {
        return await work(async (tx, response) => {
          if (!(await tx.clientTransactions.record(key, response, this.clock()))) throw new AlreadyRecorded();
        });
      } catch (error) {
        if (!(error instanceof AlreadyRecorded)) throw error;
        return (await this.storage.clientTransactions.response(key)) as T;
      }
    });
  }
}
