/** Local user accounts (table users). */
import type { Database } from '../database.ts';

export type AccountKind = 'user' | 'guest';

export interface UserRecord {
  userId: string;
  passwordHash: string | null;
  isAdmin: boolean;
  kind: AccountKind;
  createdTs: number;
  deactivatedTs: number | null;
}

interface Row {
  user_id: string;
  password_hash: string | null;
  is_admin: boolean | number;
  kind: AccountKind;
  created_ts: number;
  deactivated_ts: number | null;
}

const toRecord = (row: Row): UserRecord => ({
  userId: row.user_id,
  passwordHash: row.password_hash,
  isAdmin: Boolean(row.is_admin),
  kind: row.kind,
  createdTs: Number(row.created_ts),
  deactivatedTs: row.deactivated_ts === null ? null : Number(row.deactivated_ts),
});

export class UserRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the user; false when the user ID is taken (checked by the primary key, so races are safe). */
  async create(user: Omit<UserRecord, 'deactivatedTs'>): Promise<boolean> {
    const inserted = await this.db<Row>('users')
      .insert({ user_id: user.userId, password_hash: user.passwordHash, is_admin: user.isAdmin, kind: user.kind, created_ts: user.createdTs, deactivated_ts: null })
      .onConflict('user_id')
      .ignore()
      .returning('user_id');
    return inserted.length > 0;
  }

  async get(userId: string): Promise<UserRecord | undefined> {
    const row = await this.db<Row>('users').where('user_id', userId).first();
    return row && toRecord(row);
  }

  async exists(userId: string): Promise<boolean> {
    return (await this.db<Row>('users').where('user_id', userId).first('user_id')) !== undefined;
  }

  async setPasswordHash(userId: string, passwordHash: string | null): Promise<void> {
    await this.db<Row>('users').where('user_id', userId).update({ password_hash: passwordHash });
  }

  async deactivate(userId: string, now: number): Promise<void> {
    await this.db<Row>('users').where('user_id', userId).update({ deactivated_ts: now, password_hash: null });
  }
}
