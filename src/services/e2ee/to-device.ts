/**
 * Send-to-device messaging (client-server-api "Send-to-Device messaging"): messages queued per
 * recipient device, delivered in its next /sync and dropped once it syncs past them. Messages for
 * users of other servers are handed, in the same transaction, to the federation outbox, so a send
 * that was answered reaches them even across a restart (server-server-api "Send-to-device
 * messaging"); those from other servers arrive through receiveRemote.
 */
import { randomBytes } from 'node:crypto';
import { isUserId, serverNameOf } from '../../core/ids/identifiers.ts';
import type { Repositories } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ClientTransactions } from '../client-transactions.ts';
import type { RemoteToDevice, ServerEvents } from '../server-events.ts';

/** Records messages for other servers' users in `tx`; the returned function sends them after commit. */
export type RemoteToDeviceOutbox = (tx: Repositories, message: RemoteToDevice) => Promise<() => void>;

/** user → device ID or "*" → content */
export type ToDeviceMessages = Record<string, Record<string, Record<string, unknown>>>;

export class ToDevice {
  constructor(
    private readonly transactions: ClientTransactions,
    private readonly events: ServerEvents,
    private readonly serverName: string,
    private readonly remoteOutbox?: RemoteToDeviceOutbox,
  ) {}

  /** Queues `messages` once per transaction ID; those for other servers' users go to federation. */
  async send(requester: Requester, type: string, txnId: string, messages: ToDeviceMessages): Promise<void> {
    const local: ToDeviceMessages = {};
    const remote: ToDeviceMessages = {};
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!isUserId(userId, { historical: true })) continue;
      (serverNameOf(userId) === this.serverName ? local : remote)[userId] = byDevice;
    }
    let queued: { userIds: string[]; position: number } | undefined;
    let sendRemote: (() => void) | undefined;
    await this.transactions.once({ userId: requester.userId, deviceId: requester.deviceId, endpoint: 'sendToDevice', txnId }, async (tx) => {
      const position = await this.enqueue(tx, requester.userId, type, local);
      if (this.remoteOutbox && Object.keys(remote).length > 0) {
        // server-server-api m.direct_to_device: "message_id ... of maximum length 32 codepoints".
        sendRemote = await this.remoteOutbox(tx, { sender: requester.userId, type, messageId: randomBytes(12).toString('base64url'), messages: remote });
      }
      queued = { userIds: Object.keys(local), position };
      return {};
    });
    sendRemote?.();
    if (queued) this.events.emit('toDevice', queued);
  }

  /**
   * Messages from a user of another server (an `m.direct_to_device` EDU; the caller checked its
   * sender and kept only this server's users), queued once per origin and message ID. The origin's
   * server name stands in the user column of the transaction key: no user ID looks like it.
   */
  async receiveRemote(origin: string, message: RemoteToDevice): Promise<void> {
    let queued: { userIds: string[]; position: number } | undefined;
    await this.transactions.once({ userId: origin, deviceId: '', endpoint: 'm.direct_to_device', txnId: message.messageId }, async (tx) => {
      const position = await this.enqueue(tx, message.sender, message.type, message.messages);
      queued = { userIds: Object.keys(message.messages), position };
      return {};
    });
    if (queued) this.events.emit('toDevice', queued);
  }

  /** Queues messages for local users' devices at a new position of the to_device stream. */
  private async enqueue(tx: Repositories, sender: string, type: string, messages: ToDeviceMessages): Promise<number> {
    const position = await tx.streamCounters.nextPosition('to_device');
    for (const [userId, byDevice] of Object.entries(messages)) {
      const devices = (await tx.devices.list(userId)).map((d) => d.deviceId);
      for (const deviceId of devices) {
        // A message addressed to the device itself wins over one addressed to all devices ("*").
        const content = byDevice[deviceId] ?? byDevice['*'];
        if (content) await tx.toDevice.enqueue([{ userId, deviceId }], { sender, type, content }, position);
      }
    }
    return position;
  }
}
