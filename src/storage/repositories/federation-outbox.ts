/** Local events waiting to be sent to other servers (table federation_outbox). */
import type { Database } from '../database.ts';

export interface OutboxEntry {
  destination: string;
  streamPosition: number;
  eventId: string;
}

interface Row {
  destination: string;
  stream_position: number | string;
  event_id: string;
}

export class FederationOutboxRepository {
  constructor(private readonly db: Database) {}

  async add(entries: readonly OutboxEntry[]): Promise<void> {
    // 3 bindings a row: 300 rows stay far below both engines' limits.
    for (let i = 0; i < entries.length; i += 300) {
      await this.db<Row>('federation_outbox')
        .insert(entries.slice(i, i + 300).map((e) => ({ destination: e.destination, stream_position: e.streamPosition, event_id: e.eventId })))
        .onConflict(['destination', 'stream_position'])
        .ignore();
    }
  }

  /** The destination's oldest waiting events, in stream order. */
  async next(destination: string, limit: number): Promise<OutboxEntry[]> {
    const rows: Row[] = await this.db<Row>('federation_outbox').where({ destination }).orderBy('stream_position', 'asc').limit(limit);
    return rows.map((row) => ({ destination: row.destination, streamPosition: Number(row.stream_position), eventId: row.event_id }));
  }

  /** Removes the destination's events up to and including `upTo` (they were delivered). */
  async removeUpTo(destination: string, upTo: number): Promise<void> {
    await this.db('federation_outbox').where({ destination }).andWhere('stream_position', '<=', upTo).delete();
  }

  /** Every destination with events waiting. */
  async destinations(): Promise<string[]> {
    return (await this.db<Row>('federation_outbox').distinct('destination')).map((row: Pick<Row, 'destination'>) => row.destination);
  }
}
