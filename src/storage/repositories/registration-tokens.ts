/**
 * Registration tokens (tables registration_tokens, registration_token_reservations). A use is pending
 * while a UIA session holds the token (one reservation row per session) and completed once its
 * registration commits; pending counts only reservations made since `pendingSince`, so the uses of
 * abandoned sessions free themselves when those sessions expire.
 */
import type { Database } from '../database.ts';

export interface RegistrationTokenRecord {
  token: string;
  /** How many registrations the token allows in all; null for no limit. */
  usesAllowed: number | null;
  pending: number;
  completed: number;
  /** When the token stops being valid, in ms since the epoch; null for never. */
  expiryTime: number | null;
}

export interface RegistrationTokenChanges {
  usesAllowed?: number | null;
  expiryTime?: number | null;
}

interface Row {
  token: string;
  uses_allowed: number | null;
  completed: number;
  expiry_time: number | null;
  created_ts: number;
}

interface ReservationRow {
  session_id: string;
  token: string;
  created_ts: number;
}

type RowWithPending = Row & { pending: number | string | null };

const toRecord = (row: RowWithPending): RegistrationTokenRecord => ({
  token: row.token,
  usesAllowed: row.uses_allowed === null ? null : Number(row.uses_allowed),
  pending: Number(row.pending ?? 0),
  completed: Number(row.completed),
  expiryTime: row.expiry_time === null ? null : Number(row.expiry_time),
});

export class RegistrationTokenRepository {
  constructor(private readonly db: Database) {}

  /** Inserts a new token; false when the token already exists. */
  async create(token: string, usesAllowed: number | null, expiryTime: number | null, now: number): Promise<boolean> {
    const inserted = await this.db<Row>('registration_tokens')
      .insert({ token, uses_allowed: usesAllowed, completed: 0, expiry_time: expiryTime, created_ts: now })
      .onConflict('token')
      .ignore()
      .returning('token');
    return inserted.length > 0;
  }

  async get(token: string, pendingSince: number): Promise<RegistrationTokenRecord | undefined> {
    const [record] = await this.selectWithPending(pendingSince, token);
    return record;
  }

  async list(pendingSince: number): Promise<RegistrationTokenRecord[]> {
    return this.selectWithPending(pendingSince);
  }

  /** Changes the given fields; false when the token does not exist. */
  async update(token: string, changes: RegistrationTokenChanges): Promise<boolean> {
    const values: Partial<Row> = {};
    if (changes.usesAllowed !== undefined) values.uses_allowed = changes.usesAllowed;
    if (changes.expiryTime !== undefined) values.expiry_time = changes.expiryTime;
    if (Object.keys(values).length === 0) return (await this.db<Row>('registration_tokens').where('token', token).first('token')) !== undefined;
    return (await this.db<Row>('registration_tokens').where('token', token).update(values)) > 0;
  }

  /** Deletes the token and its reservations; false when it does not exist. */
  async delete(token: string): Promise<boolean> {
    return (await this.db<Row>('registration_tokens').where('token', token).delete()) > 0;
  }

  /** Records that UIA session `sessionId` holds a pending use of `token` (once per session). */
  async reserve(sessionId: string, token: string, createdTs: number): Promise<void> {
    await this.db<ReservationRow>('registration_token_reservations').insert({ session_id: sessionId, token, created_ts: createdTs }).onConflict('session_id').ignore();
  }

  /** Gives a session's pending use back (its registration failed or was abandoned). */
  async release(sessionId: string): Promise<void> {
    await this.db<ReservationRow>('registration_token_reservations').where('session_id', sessionId).delete();
  }

  async releaseOlderThan(cutoffTs: number): Promise<void> {
    await this.db<ReservationRow>('registration_token_reservations').where('created_ts', '<', cutoffTs).delete();
  }

  /**
   * Turns the session's pending use into a completed one. False when the session holds no token or
   * the token has no use left (its limit was lowered, or it was deleted, since the reservation).
   */
  async consume(sessionId: string): Promise<boolean> {
    const reservation = await this.db<ReservationRow>('registration_token_reservations').where('session_id', sessionId).first();
    if (!reservation) return false;
    await this.release(sessionId);
    const updated = await this.db<Row>('registration_tokens')
      .where('token', reservation.token)
      .andWhere((query) => query.whereNull('uses_allowed').orWhere('completed', '<', this.db.ref('uses_allowed')))
      .increment('completed', 1);
    return updated > 0;
  }

  private async selectWithPending(pendingSince: number, token?: string): Promise<RegistrationTokenRecord[]> {
    const pending = this.db('registration_token_reservations as r')
      .count('*')
      .whereRaw('?? = ??', ['r.token', 't.token'])
      .andWhere('r.created_ts', '>=', pendingSince)
      .as('pending');
    const query = this.db('registration_tokens as t').select('t.*').select(pending).orderBy('t.created_ts').orderBy('t.token');
    if (token !== undefined) query.where('t.token', token);
    return ((await query) as RowWithPending[]).map(toRecord);
  }
}
