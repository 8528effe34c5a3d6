/**
 * Send-to-device messaging (client-server-api "Send-to-Device messaging"): messages queued per
 * recipient device, delivered in its next /sync and dropped once it syncs past them.
 */
import { MatrixError } from '../../core/errors.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientTransactions } from '../client-transactions.ts';
import type { ServerEvents } from '../server-events.ts';

export class ToDevice {
  constructor(
    private readonly transactions: ClientTransactions,
    private readonly events: ServerEvents,
    private readonly serverName: string,
  ) {}

  /** Queues `messages` (user → device ID or "*" → content) once per transaction ID. */
  async send(requester: Requester, type: string, txnId: string, messages: Record<string, Record<string, Record<string, unknown>>>): Promise<void> {
    const remote = Object.keys(messages).filter((userId) => serverNameOf(userId as UserId) !== this.serverName);
    if (remote.length > 0) throw new MatrixError('M_UNKNOWN', `Sending to users on other servers needs federation, which is not available yet (${remote[0]})`, { status: 400 });
    let queued: { userIds: string[]; position: number } | undefined;
    await this.transactions.once({ userId: requester.userId, deviceId: requester.deviceId, endpoint: 'sendToDevice', txnId }, async (tx) => {
      const position = await tx.streamCounters.nextPosition('to_device');
      for (const [userId, byDevice] of Object.entries(messages)) {
        const devices = (await tx.devices.list(userId)).map((d) => d.deviceId);
        for (const deviceId of devices) {
          // A message addressed to the device itself wins over one addressed to all devices ("*").
          const content = byDevice[deviceId] ?? byDevice['*'];
          if (content) await tx.toDevice.enqueue([{ userId, deviceId }], { sender: requester.userId, type, content }, position);
        }
      }
      queued = { userIds: Object.keys(messages), position };
      return {};
    });
    if (queued) this.events.emit('toDevice', queued);
  }
}
