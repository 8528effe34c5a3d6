/**
 * server-server-api "Receipts" (m.receipt). Out: a local user's public read receipt (`m.read`; a
 * private one never leaves the server) goes to the other servers of the room. In: receipts of users
 * of the origin joined to the room are stored like local ones, so /sync shows them; "Receipts
 * previously received that do not appear in the EDU should not be removed".
 */
import { isJsonObject } from '../../../core/canonical-json.ts';
import { isEventId, isRoomId } from '../../../core/ids/identifiers.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { Receipts } from '../../ephemeral/receipts.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import { isUserOf, remoteServersOf, type EduContext } from './edu-context.ts';

export function federateReceipts(context: EduContext, receipts: Receipts, roomStates: RoomStates, storage: Storage): void {
  const { serverName } = context;

  context.events.on('receipt', ({ roomId, userId, position, userIds }) => {
    if (!isUserOf(userId, serverName)) return;
    const destinations = remoteServersOf(userIds, serverName);
    if (destinations.size === 0) return;
    void (async () => {
      // The receipt stored at this position (a later one of the user's replaces it, and is sent itself).
      const stored = await storage.receipts.changedBetween([roomId], position - 1, position);
      const receipt = stored.find((r) => r.userId === userId && r.receiptType === 'm.read');
      if (!receipt) return;
      const data = { ts: receipt.ts, ...(receipt.threadId === '' ? {} : { thread_id: receipt.threadId }) };
      const edu = { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [userId]: { event_ids: [receipt.eventId], data } } } } };
      for (const destination of destinations) context.sendEdu(destination, edu);
    })().catch(() => undefined);
  });

  context.onEdu('m.receipt', async (origin, content) => {
    if (origin === serverName) return;
    for (const [roomId, byType] of Object.entries(content)) {
      if (!isRoomId(roomId) || !isJsonObject(byType) || !isJsonObject(byType['m.read'])) continue;
      for (const [userId, receipt] of Object.entries(byType['m.read'])) {
        if (!isUserOf(userId, origin) || !isJsonObject(receipt) || !isJsonObject(receipt.data)) continue;
        const { event_ids: eventIds, data } = receipt;
        // "event_ids": minItems 1, maxItems 1.
        if (!Array.isArray(eventIds) || eventIds.length !== 1 || typeof eventIds[0] !== 'string' || !isEventId(eventIds[0])) continue;
        if (!Number.isSafeInteger(data.ts) || (data.ts as number) < 0) continue;
        // client-server-api "Threaded read receipts": a thread root's event ID, or "main".
        const threadId = data.thread_id;
        if (threadId !== undefined && (typeof threadId !== 'string' || (threadId !== 'main' && !isEventId(threadId)))) continue;
        if ((await roomStates.membership(roomId, userId)) !== 'join') continue;
        await receipts.store(roomId, 'm.read', userId, threadId ?? '', eventIds[0], data.ts as number);
      }
    }
  });
}
