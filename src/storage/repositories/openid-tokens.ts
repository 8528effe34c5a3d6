/** OpenID tokens (table openid_tokens), by the SHA-256 hash of the token. */
import type { Database } from '../database.ts';

interface Row {
  token_hash: string;
  user_id: string;
  expires_ts: number | string;
}

export class OpenIdTokenRepository {
  constructor(private readonly db: Database) {}

  async add(tokenHash: string, userId: string, expiresTs: number): Promise<void> {
    await this.db<Row>('openid_tokens').insert({ token_hash: tokenHash, user_id: userId, expires_ts: expiresTs });
  }

  /** The owner of a token that has not expired at `now`. */
  async owner(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db<Row>('openid_tokens').where('token_hash', tokenHash).andWhere('expires_ts', '>', now).first();
    return row?.user_id;
  }

  async deleteExpired(now: number): Promise<void> {
    await this.db<Row>('openid_tokens').where('expires_ts', '<=', now).delete();
  }
}
