/** Queued send-to-device messages (table to_device_messages). */
import type { Database } from '../database.ts';

export interface ToDeviceMessage {
  streamPosition: number;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

interface Row {
  stream_position: number;
  user_id: string;
  device_id: string;
  sender: string;
  type: string;
  content_json: string;
}

export class ToDeviceRepository {
  constructor(private readonly db: Database) {}

  async enqueue(recipients: ReadonlyArray<{ userId: string; deviceId: string }>, message: Omit<ToDeviceMessage, 'streamPosition'>, streamPosition: number): Promise<void> {
    if (recipients.length === 0) return;
    const content = JSON.stringify(message.content);
    await this.db<Row>('to_device_messages').insert(
      recipients.map((r) => ({ stream_position: streamPosition, user_id: r.userId, device_id: r.deviceId, sender: message.sender, type: message.type, content_json: content })),
    );
  }

  /** Messages for the device after `since`, up to `upTo`, oldest first, at most `limit`. */
  async pending(userId: string, deviceId: string, since: number, upTo: number, limit: number): Promise<ToDeviceMessage[]> {
    const rows = await this.db<Row>('to_device_messages')
      .where({ user_id: userId, device_id: deviceId })
      .andWhere('stream_position', '>', since)
      .andWhere('stream_position', '<=', upTo)
      .orderBy('stream_position')
      .limit(limit);
    return rows.map((row) => ({ streamPosition: Number(row.stream_position), sender: row.sender, type: row.type, content: JSON.parse(row.content_json) as Record<string, unknown> }));
  }

  /** Drops what the device has acknowledged by syncing from a later position. */
  async acknowledge(userId: string, deviceId: string, upTo: number): Promise<void> {
    await this.db<Row>('to_device_messages').where({ user_id: userId, device_id: deviceId }).andWhere('stream_position', '<=', upTo).delete();
  }
}
