/**
 * Typing notifications (client-server-api "Typing Notifications"). Typing is ephemeral: it lives in
 * memory only, expires after the client's timeout (capped), and has its own stream position so /sync
 * can tell which rooms' typing lists changed since a token. Restarting the server forgets it, as
 * Synapse does; a token from before a restart then reads as "everything changed".
 */
import { MatrixError } from '../../core/errors.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { RoomStates } from '../rooms/room-states.ts';
import type { ServerEvents } from '../server-events.ts';

/** Longest typing period a client may ask for (Synapse caps it at the same value). */
const maxTypingMs = 120_000;

interface RoomTyping {
  /** user ID → its expiry timer */
  readonly users: Map<string, NodeJS.Timeout>;
  /** Stream position of the last change of this room's list. */
  position: number;
}

export class Typing {
  private readonly rooms = new Map<string, RoomTyping>();
  private position = 0;

  constructor(
    private readonly roomStates: RoomStates,
    private readonly events: ServerEvents,
  ) {}

  async setTyping(requester: Requester, roomId: RoomId, userId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    if (userId !== requester.userId) throw new MatrixError('M_FORBIDDEN', 'You may only set your own typing state');
    if ((await this.roomStates.membership(roomId, userId)) !== 'join') throw new MatrixError('M_FORBIDDEN', 'You are not in this room');
    await this.update(roomId, userId, typing, Math.min(Math.max(timeoutMs, 0), maxTypingMs));
  }

  /**
   * Sets the user's typing state for `timeoutMs`; the caller checked the user may (the client API
   * above, or a federation `m.typing` EDU from the user's server).
   */
  async update(roomId: string, userId: string, typing: boolean, timeoutMs: number): Promise<void> {
    const room = this.rooms.get(roomId) ?? { users: new Map(), position: 0 };
    this.rooms.set(roomId, room);
    const existing = room.users.get(userId);
    if (existing) clearTimeout(existing);
    if (typing) {
      const timer = setTimeout(() => void this.expire(roomId, userId), timeoutMs);
      timer.unref();
      room.users.set(userId, timer);
      // Renewing an unchanged list is not news.
      if (existing) return;
    } else {
      if (!existing) return;
      room.users.delete(userId);
    }
    await this.changed(roomId, room, userId, typing);
  }

  /** The current stream position: what a /sync may read up to. */
  currentPosition(): number {
    return this.position;
  }

  /** The room's `m.typing` event if its list changed after `since` (always, for an initial sync). */
  typingEvent(roomId: string, since: number | undefined): { type: 'm.typing'; content: { user_ids: string[] } } | undefined {
    const room = this.rooms.get(roomId);
    // A position from before a restart is ahead of ours: treat it as an initial sync.
    const fresh = since === undefined || since > this.position;
    if (!room) return undefined;
    if (!fresh && room.position <= since) return undefined;
    return { type: 'm.typing', content: { user_ids: [...room.users.keys()] } };
  }

  /** Stops all timers (on shutdown). */
  close(): void {
    for (const room of this.rooms.values()) for (const timer of room.users.values()) clearTimeout(timer);
    this.rooms.clear();
  }

  private async expire(roomId: string, userId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room?.users.delete(userId)) return;
    await this.changed(roomId, room, userId, false);
  }

  private async changed(roomId: string, room: RoomTyping, userId: string, typing: boolean): Promise<void> {
    room.position = ++this.position;
    const members = await this.roomStates.joinedMembers(roomId as RoomId);
    this.events.emit('typing', { roomId, position: room.position, userIds: [...members], userId, typing });
  }
}
