/** User-Interactive Authentication sessions (table ui_auth_sessions): they span several requests. */
import type { Database } from '../database.ts';

export interface UiAuthSessionRecord {
  sessionId: string;
  userId: string | null;
  requestFingerprint: string;
  completedStages: string[];
  createdTs: number;
}

interface Row {
  session_id: string;
  user_id: string | null;
  request_fingerprint: string;
  completed_stages: string;
  created_ts: number;
}

export class UiAuthSessionRepository {
  constructor(private readonly db: Database) {}

  async create(session: UiAuthSessionRecord): Promise<void> {
    await this.db<Row>('ui_auth_sessions').insert({
      session_id: session.sessionId,
      user_id: session.userId,
      request_fingerprint: session.requestFingerprint,
      completed_stages: JSON.stringify(session.completedStages),
      created_ts: session.createdTs,
    });
  }

  async get(sessionId: string): Promise<UiAuthSessionRecord | undefined> {
    const row = await this.db<Row>('ui_auth_sessions').where('session_id', sessionId).first();
    return (
      row && {
        sessionId: row.session_id,
        userId: row.user_id,
        requestFingerprint: row.request_fingerprint,
        completedStages: JSON.parse(row.completed_stages) as string[],
        createdTs: Number(row.created_ts),
      }
    );
  }

  async setCompletedStages(sessionId: string, stages: readonly string[]): Promise<void> {
    await this.db<Row>('ui_auth_sessions').where('session_id', sessionId).update({ completed_stages: JSON.stringify(stages) });
  }

  async delete(sessionId: string): Promise<void> {
    await this.db<Row>('ui_auth_sessions').where('session_id', sessionId).delete();
  }

  /** Forgets sessions started before `cutoffTs`. */
  async deleteOlderThan(cutoffTs: number): Promise<void> {
    await this.db<Row>('ui_auth_sessions').where('created_ts', '<', cutoffTs).delete();
  }
}
