/**
 * Receipts and read markers (client-server-api "Receipts", "Read and unread markers"). A receipt
 * moves a user's marker to an event; `m.read.private` is seen only by its owner; `m.fully_read` is
 * the read marker, kept as room account data. Threaded receipts (v1.4) keep one marker per thread.
 */
import { MatrixError } from '../../core/errors.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AccountData } from '../account-data/account-data.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { EventStore } from '../rooms/event-store.ts';
import type { RoomStates } from '../rooms/room-states.ts';
import type { ServerEvents } from '../server-events.ts';

export type ReceiptType = 'm.read' | 'm.read.private';

export interface ReceiptEvent {
  type: 'm.receipt';
  content: Record<string, Partial<Record<ReceiptType, Record<string, { ts: number; thread_id?: string }>>>>;
}

export class Receipts {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly accountData: AccountData,
    private readonly events: ServerEvents,
    private readonly clock: () => number,
  ) {}

  async sendReceipt(requester: Requester, roomId: RoomId, receiptType: string, eventId: string, threadId?: string): Promise<void> {
    if (receiptType === 'm.fully_read') {
      if (threadId !== undefined) throw new MatrixError('M_INVALID_PARAM', 'm.fully_read cannot be threaded');
      await this.setReadMarkers(requester, roomId, { fullyRead: eventId });
      return;
    }
    if (receiptType !== 'm.read' && receiptType !== 'm.read.private') throw new MatrixError('M_INVALID_PARAM', `Unknown receipt type ${receiptType}`);
    await this.requireVisibleEvent(requester, roomId, eventId);
    if (threadId !== undefined && threadId !== 'main') {
      // client-server-api "Threaded read receipts": the thread ID is a thread root's event ID.
      const root = await this.eventStore.localEvent(threadId);
      if (!root || root.event.roomId !== roomId) throw new MatrixError('M_INVALID_PARAM', 'thread_id is not an event of this room');
    }
    await this.store(roomId, receiptType, requester.userId, threadId ?? '', eventId, this.clock());
  }

  /**
   * Stores and announces a receipt (`threadId` '' when unthreaded); the caller checked the user may
   * (sendReceipt above, or a federation `m.receipt` EDU from the user's server).
   */
  async store(roomId: RoomId, receiptType: ReceiptType, userId: string, threadId: string, eventId: string, ts: number): Promise<void> {
    const existing = await this.storage.receipts.get(roomId, receiptType, userId, threadId);
    if (existing?.eventId === eventId) return;
    const position = await this.storage.transaction(async (tx) => {
      const streamPosition = await tx.streamCounters.nextPosition('receipts');
      await tx.receipts.upsert({ roomId, receiptType, userId, threadId, eventId, ts, streamPosition });
      return streamPosition;
    });
    const concerned = receiptType === 'm.read.private' ? [userId] : [...(await this.roomStates.joinedMembers(roomId))];
    this.events.emit('receipt', { roomId, userId, position, userIds: concerned });
  }

  /** POST /read_markers: the fully-read marker and, optionally, receipts at the same time. */
  async setReadMarkers(requester: Requester, roomId: RoomId, markers: { fullyRead?: string; read?: string; readPrivate?: string }): Promise<void> {
    if (markers.fullyRead !== undefined) {
      await this.requireVisibleEvent(requester, roomId, markers.fullyRead);
      await this.accountData.write(requester.userId, roomId, 'm.fully_read', { event_id: markers.fullyRead });
    }
    if (markers.read !== undefined) await this.sendReceipt(requester, roomId, 'm.read', markers.read);
    if (markers.readPrivate !== undefined) await this.sendReceipt(requester, roomId, 'm.read.private', markers.readPrivate);
  }

  currentPosition(): Promise<number> {
    return this.storage.streamCounters.currentPosition('receipts');
  }

  /**
   * The `m.receipt` events of the rooms for `userId`, with what changed in (after, upTo] (all receipts
   * for an initial sync), one event per room. Others' private receipts are left out.
   */
  async receiptEvents(userId: string, roomIds: readonly string[], after: number, upTo: number): Promise<Map<string, ReceiptEvent>> {
    const byRoom = new Map<string, ReceiptEvent>();
    if (after >= upTo || roomIds.length === 0) return byRoom;
    for (const receipt of await this.storage.receipts.changedBetween(roomIds, after, upTo)) {
      if (receipt.receiptType === 'm.read.private' && receipt.userId !== userId) continue;
      const event = byRoom.get(receipt.roomId) ?? { type: 'm.receipt', content: {} };
      const forEvent = (event.content[receipt.eventId] ??= {});
      const forType = (forEvent[receipt.receiptType as ReceiptType] ??= {});
      forType[receipt.userId] = { ts: receipt.ts, ...(receipt.threadId === '' ? {} : { thread_id: receipt.threadId }) };
      byRoom.set(receipt.roomId, event);
    }
    return byRoom;
  }

  private async requireVisibleEvent(requester: Requester, roomId: RoomId, eventId: string): Promise<void> {
    if ((await this.roomStates.membership(roomId, requester.userId)) !== 'join') throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
    const event = await this.eventStore.localEvent(eventId);
    if (!event || event.event.roomId !== roomId) throw new MatrixError('M_NOT_FOUND', 'Event not found in this room');
  }
}
