/** Local events and durable EDUs waiting to be sent to other servers (tables federation_outbox and federation_edu_outbox). */
import type { JsonObject } from '../../core/canonical-json.ts';
import type { Database } from '../database.ts';

export interface OutboxEdu {
  id: number;
  edu: JsonObject;
}

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

  /** Removes the destination's events at these stream positions (they were delivered). */
  async remove(destination: string, streamPositions: readonly number[]): Promise<void> {
    if (streamPositions.length > 0) await this.db('federation_outbox').where({ destination }).whereIn('stream_position', [...streamPositions]).delete();
  }

  /** Every destination with events or EDUs waiting. */
  async destinations(): Promise<string[]> {
    const events: Array<Pick<Row, 'destination'>> = await this.db('federation_outbox').distinct('destination');
    const edus: Array<Pick<Row, 'destination'>> = await this.db('federation_edu_outbox').distinct('destination');
    return [...new Set([...events, ...edus].map((row) => row.destination))];
  }

  async addEdus(edus: ReadonlyArray<{ destination: string; edu: JsonObject }>): Promise<void> {
    for (let i = 0; i < edus.length; i += 300) {
      await this.db('federation_edu_outbox').insert(edus.slice(i, i + 300).map(({ destination, edu }) => ({ destination, edu_json: JSON.stringify(edu) })));
    }
  }

  /** The destination's oldest waiting EDUs, in the order they were added. */
  async nextEdus(destination: string, limit: number): Promise<OutboxEdu[]> {
    const rows: Array<{ id: number | string; edu_json: string }> = await this.db('federation_edu_outbox').where({ destination }).orderBy('id', 'asc').limit(limit).select('id', 'edu_json');
    return rows.map((row) => ({ id: Number(row.id), edu: JSON.parse(row.edu_json) as JsonObject }));
  }

  /** Removes the destination's EDUs with these IDs (they were delivered). */
  async removeEdus(destination: string, ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db('federation_edu_outbox').where({ destination }).whereIn('id', [...ids]).delete();
  }
}
