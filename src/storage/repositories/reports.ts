/** Reports of events, rooms and users to the server's administrators (table reports). */
import type { Database } from '../database.ts';

export type ReportKind = 'event' | 'room' | 'user';

export interface NewReport {
  kind: ReportKind;
  reporter: string;
  roomId: string | null;
  eventId: string | null;
  targetUserId: string | null;
  reason: string | null;
  score: number | null;
  receivedTs: number;
}

export interface ReportRecord extends NewReport {
  id: number;
}

interface Row {
  id: number | string;
  kind: ReportKind;
  reporter: string;
  room_id: string | null;
  event_id: string | null;
  target_user_id: string | null;
  reason: string | null;
  score: number | null;
  received_ts: number | string;
}

const toRecord = (row: Row): ReportRecord => ({
  id: Number(row.id),
  kind: row.kind,
  reporter: row.reporter,
  roomId: row.room_id,
  eventId: row.event_id,
  targetUserId: row.target_user_id,
  reason: row.reason,
  score: row.score === null ? null : Number(row.score),
  receivedTs: Number(row.received_ts),
});

export interface ReportQuery {
  kind: ReportKind;
  /** How many of the matching reports to skip, in the order asked for. */
  from: number;
  limit: number;
  /** 'b': newest first (Synapse's default), 'f': oldest first. */
  dir: 'b' | 'f';
  reporter?: string;
  roomId?: string;
}

export class ReportRepository {
  constructor(private readonly db: Database) {}

  async add(report: NewReport): Promise<number> {
    const [row] = await this.db('reports')
      .insert({
        kind: report.kind,
        reporter: report.reporter,
        room_id: report.roomId,
        event_id: report.eventId,
        target_user_id: report.targetUserId,
        reason: report.reason,
        score: report.score,
        received_ts: report.receivedTs,
      })
      .returning('id');
    return Number((row as { id: number | string }).id);
  }

  async get(kind: ReportKind, id: number): Promise<ReportRecord | undefined> {
    const row = await this.db<Row>('reports').where({ kind, id }).first();
    return row && toRecord(row);
  }

  /** One page of reports and how many match in all. */
  async list(query: ReportQuery): Promise<{ reports: ReportRecord[]; total: number }> {
    const matching = () => {
      const builder = this.db<Row>('reports').where('kind', query.kind);
      if (query.reporter !== undefined) builder.andWhere('reporter', query.reporter);
      if (query.roomId !== undefined) builder.andWhere('room_id', query.roomId);
      return builder;
    };
    const order = query.dir === 'b' ? 'desc' : 'asc';
    const rows = await matching().orderBy([{ column: 'received_ts', order }, { column: 'id', order }]).offset(query.from).limit(query.limit);
    const [counted] = (await matching().count({ count: '*' })) as Array<{ count: number | string }>;
    return { reports: rows.map(toRecord), total: Number(counted?.count ?? 0) };
  }
}
