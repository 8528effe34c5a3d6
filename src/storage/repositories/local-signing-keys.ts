/** The history of this server's own signing keys (table local_signing_keys). */
import type { Database } from '../database.ts';

export interface LocalSigningKeyRecord {
  keyId: string;
  publicKey: string;
  firstUsedTs: number;
  expiredTs: number | null;
}

interface Row {
  key_id: string;
  public_key: string;
  first_used_ts: number;
  expired_ts: number | null;
}

const toRecord = (row: Row): LocalSigningKeyRecord => ({
  keyId: row.key_id,
  publicKey: row.public_key,
  firstUsedTs: Number(row.first_used_ts),
  expiredTs: row.expired_ts === null ? null : Number(row.expired_ts),
});

export class LocalSigningKeyRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records that the server now signs with this key: any other key still marked current expires now.
   * Returns the key ID this one replaced with a different public key, if any, so the caller can warn.
   */
  async useKey(keyId: string, publicKey: string, now: number): Promise<{ replacedPublicKey?: string }> {
    return this.db.transaction(async (tx) => {
      await tx<Row>('local_signing_keys').whereNull('expired_ts').whereNot('key_id', keyId).update({ expired_ts: now });
      const existing = await tx<Row>('local_signing_keys').where('key_id', keyId).first();
      if (!existing) {
        await tx<Row>('local_signing_keys').insert({ key_id: keyId, public_key: publicKey, first_used_ts: now, expired_ts: null });
        return {};
      }
      await tx<Row>('local_signing_keys').where('key_id', keyId).update({ public_key: publicKey, expired_ts: null });
      return existing.public_key === publicKey ? {} : { replacedPublicKey: existing.public_key };
    });
  }

  async list(): Promise<LocalSigningKeyRecord[]> {
    const rows = await this.db<Row>('local_signing_keys').select().orderBy('first_used_ts');
    return rows.map(toRecord);
  }
}
