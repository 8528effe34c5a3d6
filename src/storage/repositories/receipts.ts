/** Read receipts (table receipts): the latest per room, type, user and thread. */
import type { Database } from '../database.ts';

export interface ReceiptRecord {
  roomId: string;
  receiptType: string;
  userId: string;
  /** '' for an unthreaded receipt. */
  threadId: string;
  eventId: string;
  ts: number;
  streamPosition: number;
}

interface Row {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_position: number;
}

const toRecord = (row: Row): ReceiptRecord => ({
  roomId: row.room_id,
  receiptType: row.receipt_type,
  userId: row.user_id,
  threadId: row.thread_id,
  eventId: row.event_id,
  ts: Number(row.ts),
  streamPosition: Number(row.stream_position),
});

export class ReceiptRepository {
  constructor(private readonly db: Database) {}

  async upsert(receipt: ReceiptRecord): Promise<void> {
    await this.db<Row>('receipts')
      .insert({
        room_id: receipt.roomId,
        receipt_type: receipt.receiptType,
        user_id: receipt.userId,
        thread_id: receipt.threadId,
        event_id: receipt.eventId,
        ts: receipt.ts,
        stream_position: receipt.streamPosition,
      })
      .onConflict(['room_id', 'receipt_type', 'user_id', 'thread_id'])
      .merge(['event_id', 'ts', 'stream_position']);
  }

  async get(roomId: string, receiptType: string, userId: string, threadId: string): Promise<ReceiptRecord | undefined> {
    const row = await this.db<Row>('receipts').where({ room_id: roomId, receipt_type: receiptType, user_id: userId, thread_id: threadId }).first();
    return row && toRecord(row);
  }

  /** The receipts of `roomIds` stored in (after, upTo]. */
  async changedBetween(roomIds: readonly string[], after: number, upTo: number): Promise<ReceiptRecord[]> {
    const records: ReceiptRecord[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const rows = await this.db<Row>('receipts')
        .whereIn('room_id', roomIds.slice(i, i + 500))
        .andWhere('stream_position', '>', after)
        .andWhere('stream_position', '<=', upTo)
        .orderBy('stream_position');
      records.push(...rows.map(toRecord));
    }
    return records;
  }
}
