/**
 * Transaction-ID idempotency (client-server-api "Transaction identifiers"): a PUT retried with the
 * same transaction ID by the same device returns the first response and does not act again. The
 * work and the record of its response commit together.
 */
import { lru } from '../util/lru.ts';
import type { TransactionKey } from '../storage/repositories/client-transactions.ts';
import type { Repositories, Storage } from '../storage/storage.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';

class AlreadyRecorded extends Error {}

/** The event's client transaction was recorded before (by an earlier request): its response stands. */
export class TransactionKeyTaken extends Error {
  constructor(readonly key: TransactionKey) {
    super(`client transaction ${key.txnId} was already recorded`);
  }
}

const keyText = (key: TransactionKey) => `${key.userId}|${key.deviceId}|${key.endpoint}|${key.txnId}`;

export class ClientTransactions {
  private readonly mutex = new KeyedMutex();
  /**
   * The latest responses recorded through onceSent in this process, by key text. A client retries
   * within seconds; an older retry is answered from the database. Some 500 bytes of heap each.
   */
  private readonly recorded = lru<string, { response: unknown }>(2_000);

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  async once<T>(key: TransactionKey, work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.mutex.run(keyText(key), async () => {
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
   * Like once, for an event sent under the transaction (the timeline records the key with the event,
   * in its own transaction, and fails it with TransactionKeyTaken when the key was recorded before).
   *
   * Retries are rare, so the stored responses are not read first: a retry of a transaction recorded
   * by this process is answered from memory, and any other finds the key taken when the event is
   * written, so the event rolls back and the stored response is returned. (The timeline's batch then
   * writes its other events again, one by one; a repeated retry is answered from memory.)
   */
  async onceSent<T>(key: TransactionKey, send: () => Promise<T>): Promise<T> {
    const text = keyText(key);
    return this.mutex.run(text, async () => {
      const earlier = this.recorded.get(text);
      if (earlier) return earlier.response as T;
      let response: T;
      try {
        response = await send();
      } catch (error) {
        if (!(error instanceof TransactionKeyTaken)) throw error;
        response = (await this.storage.clientTransactions.response(key)) as T;
      }
      this.recorded.set(text, { response });
      return response;
    });
  }
}
