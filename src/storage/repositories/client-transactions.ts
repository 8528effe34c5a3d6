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
