/**
 * Other servers' verified signing keys (table remote_server_keys), one row per key with the key
 * response it came from. A response replaces a key's row only when it is at least as fresh
 * (valid_until_ts not earlier), so a notary's older cached copy never overwrites what the server
 * itself told us more recently.
 */
import type { Database } from '../database.ts';

export interface RemoteServerKeyRecord {
  serverName: string;
  keyId: string;
  /** Unpadded base64 Ed25519 public key. */
  verifyKey: string;
  /** valid_until_ts of the key response the key came from. */
  validUntilTs: number;
  /** expired_ts of a key listed under old_verify_keys; null for a current key. */
  expiredTs: number | null;
  fetchedTs: number;
  /** The key response (JSON text) as its server signed it. */
  keyJson: string;
}

/** One key of a response being stored; the response's fields are shared by its keys. */
export interface RemoteServerKey {
  keyId: string;
  verifyKey: string;
  expiredTs: number | null;
}

interface Row {
  server_name: string;
  key_id: string;
  verify_key: string;
  valid_until_ts: number;
  expired_ts: number | null;
  fetched_ts: number;
  key_json: string;
}

const toRecord = (row: Row): RemoteServerKeyRecord => ({
  serverName: row.server_name,
  keyId: row.key_id,
  verifyKey: row.verify_key,
  validUntilTs: Number(row.valid_until_ts),
  expiredTs: row.expired_ts === null ? null : Number(row.expired_ts),
  fetchedTs: Number(row.fetched_ts),
  keyJson: row.key_json,
});

export class RemoteServerKeyRepository {
  constructor(private readonly db: Database) {}

  /** Stores the keys of one verified key response; keys already known from a fresher response are kept. */
  async storeResponse(serverName: string, response: { validUntilTs: number; fetchedTs: number; keyJson: string }, keys: readonly RemoteServerKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows: Row[] = keys.map((key) => ({
      server_name: serverName,
      key_id: key.keyId,
      verify_key: key.verifyKey,
      valid_until_ts: response.validUntilTs,
      expired_ts: key.expiredTs,
      fetched_ts: response.fetchedTs,
      key_json: response.keyJson,
    }));
    await this.db<Row>('remote_server_keys')
      .insert(rows)
      .onConflict(['server_name', 'key_id'])
      .merge()
      .where('remote_server_keys.valid_until_ts', '<=', this.db.raw('excluded.valid_until_ts'));
  }

  async listForServer(serverName: string): Promise<RemoteServerKeyRecord[]> {
    const rows = await this.db<Row>('remote_server_keys').where('server_name', serverName).orderBy('key_id');
    return rows.map(toRecord);
  }
}
