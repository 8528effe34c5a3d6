/** Cross-signing keys (cross_signing_keys) and uploaded signatures (key_signatures). */
import type { Database } from '../database.ts';
import type { KeyObject } from './e2ee-keys.ts';

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

export interface CrossSigningKeyRecord {
  userId: string;
  usage: CrossSigningUsage;
  publicKey: string;
  key: KeyObject;
}

export interface KeySignature {
  targetUserId: string;
  targetKeyId: string;
  signerUserId: string;
  signerKeyId: string;
  signature: string;
}

interface KeyRow {
  user_id: string;
  usage: CrossSigningUsage;
  public_key: string;
  key_json: string;
}

interface SignatureRow {
  target_user_id: string;
  target_key_id: string;
  signer_user_id: string;
  signer_key_id: string;
  signature: string;
}

export class CrossSigningRepository {
  constructor(private readonly db: Database) {}

  async keysOf(userIds: readonly string[]): Promise<CrossSigningKeyRecord[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db<KeyRow>('cross_signing_keys').whereIn('user_id', userIds);
    return rows.map((row) => ({ userId: row.user_id, usage: row.usage, publicKey: row.public_key, key: JSON.parse(row.key_json) as KeyObject }));
  }

  async setKey(record: CrossSigningKeyRecord): Promise<void> {
    await this.db<KeyRow>('cross_signing_keys')
      .insert({ user_id: record.userId, usage: record.usage, public_key: record.publicKey, key_json: JSON.stringify(record.key) })
      .onConflict(['user_id', 'usage'])
      .merge(['public_key', 'key_json']);
  }

  async addSignatures(signatures: readonly KeySignature[]): Promise<void> {
    if (signatures.length === 0) return;
    await this.db<SignatureRow>('key_signatures')
      .insert(signatures.map((s) => ({ target_user_id: s.targetUserId, target_key_id: s.targetKeyId, signer_user_id: s.signerUserId, signer_key_id: s.signerKeyId, signature: s.signature })))
      .onConflict(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id'])
      .merge(['signature']);
  }

  /** Signatures on the keys of these users. */
  async signaturesOn(targetUserIds: readonly string[]): Promise<KeySignature[]> {
    if (targetUserIds.length === 0) return [];
    const rows = await this.db<SignatureRow>('key_signatures').whereIn('target_user_id', targetUserIds);
    return rows.map((r) => ({ targetUserId: r.target_user_id, targetKeyId: r.target_key_id, signerUserId: r.signer_user_id, signerKeyId: r.signer_key_id, signature: r.signature }));
  }
}
