/** Responses to requests made with a client transaction ID (table client_transactions). */
import type { Database } from '../database.ts';

interface Row {
  user_id: string;
  device_id: string;
  endpoint: string;
  txn_id: string;
  response_json: string;
  created_ts: number;
}

export interface TransactionKey {
  userId: string;
  deviceId: string;
  endpoint: string;
  txnId: string;
}

export class ClientTransactionRepository {
  constructor(private readonly db: Database) {}

  async response(key: TransactionKey): Promise<unknown> {
    const row = await this.db<Row>('client_transactions').where({ user_id: key.userId, device_id: key.deviceId, endpoint: key.endpoint, txn_id: key.txnId }).first();
    return row && (JSON.parse(row.response_json) as unknown);
  }

  /**
   * Records several responses; returns the ones that were already recorded (a retry of an earlier
   * request, or a concurrent one that won), which are left as they were.
   */
  async recordMany(records: ReadonlyArray<{ key: TransactionKey; response: unknown }>, now: number): Promise<TransactionKey[]> {
    const taken: TransactionKey[] = [];
    // 6 bindings a row: 100 rows stay far below both engines' limits.
    for (let i = 0; i < records.length; i += 100) {
      const chunk = records.slice(i, i + 100);
      const inserted: Array<Pick<Row, 'user_id' | 'device_id' | 'endpoint' | 'txn_id'>> = await this.db<Row>('client_transactions')
        .insert(chunk.map(({ key, response }) => ({ user_id: key.userId, device_id: key.deviceId, endpoint: key.endpoint, txn_id: key.txnId, response_json: JSON.stringify(response), created_ts: now })))
        .onConflict(['user_id', 'device_id', 'endpoint', 'txn_id'])
        .ignore()
        .returning(['user_id', 'device_id', 'endpoint', 'txn_id']);
      const done = new Set(inserted.map((row) => `${row.user_id}|${row.device_id}|${row.endpoint}|${row.txn_id}`));
      taken.push(...chunk.filter(({ key }) => !done.has(`${key.userId}|${key.deviceId}|${key.endpoint}|${key.txnId}`)).map(({ key }) => key));
    }
    return taken;
  }

  /** Records the response; false when the transaction was already recorded (a concurrent retry won). */
  async record(key: TransactionKey, response: unknown, now: number): Promise<boolean> {
    const inserted = await this.db<Row>('client_transactions')
      .insert({ user_id: key.userId, device_id: key.deviceId, endpoint: key.endpoint, txn_id: key.txnId, response_json: JSON.stringify(response), created_ts: now })
      .onConflict(['user_id', 'device_id', 'endpoint', 'txn_id'])
      .ignore()
      .returning('txn_id');
    return inserted.length > 0;
  }
}
