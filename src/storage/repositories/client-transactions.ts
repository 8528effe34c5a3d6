/** Responses to requests made with a client transaction ID (table client_transactions). */
import { resultIgnored, type Database } from '../database.ts';

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
   * Records several responses in one statement. A key recorded before (a retry of an earlier request, or
   * a concurrent one that won) violates the table's key and fails the statement, and so the transaction:
   * nobody waits to read which keys were taken (the event persister's batches; see resultIgnored).
   */
  async recordAll(records: ReadonlyArray<{ key: TransactionKey; response: unknown }>, now: number): Promise<void> {
    // 6 bindings a row: 100 rows stay far below both engines' limits.
    for (let i = 0; i < records.length; i += 100) {
      const rows = records.slice(i, i + 100).map(({ key, response }) => ({ user_id: key.userId, device_id: key.deviceId, endpoint: key.endpoint, txn_id: key.txnId, response_json: JSON.stringify(response), created_ts: now }));
      await this.db<Row>('client_transactions').insert(rows).options(resultIgnored);
    }
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
