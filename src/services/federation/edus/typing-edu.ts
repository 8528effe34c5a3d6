/**
 * server-server-api "Typing Notifications" (m.typing). Out: a local user's typing changes go to the
 * other servers of the room; while the user keeps typing the notification is repeated, because a
 * receiving server forgets it after a while (Synapse after 60 s) and renewals are not news here.
 * In: "Receiving servers should verify that the user is in the room, and is a user belonging to the
 * sending server"; the user then types for `federationTimeoutMs` unless told again.
 */
import { isRoomId, type RoomId } from '../../../core/ids/identifiers.ts';
import type { Typing } from '../../ephemeral/typing.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import { isUserOf, remoteServersOf, type EduContext } from './edu-context.ts';

/** How long a remote user types without news (Synapse's FEDERATION_TIMEOUT). */
const federationTimeoutMs = 60_000;
/** How often a local user still typing is announced again (Synapse's FEDERATION_PING_INTERVAL). */
const pingIntervalMs = 40_000;

export class TypingEdus {
  /** Local users typing in rooms with remote members, by room and user: their repeat timer. */
  private readonly pings = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly context: EduContext,
    private readonly typing: Typing,
    private readonly roomStates: RoomStates,
  ) {
    context.events.on('typing', ({ roomId, userId, typing: isTyping, userIds }) => this.send(roomId, userId, isTyping, userIds));
    context.onEdu('m.typing', (origin, content) => this.receive(origin, content));
  }

  stop(): void {
    for (const timer of this.pings.values()) clearInterval(timer);
    this.pings.clear();
  }

  private send(roomId: string, userId: string, isTyping: boolean, members: Iterable<string>): void {
    const { serverName } = this.context;
    if (!isUserOf(userId, serverName)) return;
    const key = `${roomId}\u0000${userId}`;
    clearInterval(this.pings.get(key));
    this.pings.delete(key);
    const destinations = remoteServersOf(members, serverName);
    if (destinations.size === 0) return;
    const edu = { edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing: isTyping } };
    for (const destination of destinations) this.context.sendEdu(destination, edu);
    if (!isTyping) return;
    const timer = setInterval(() => {
      void this.roomStates.joinedMembers(roomId as RoomId).then((now) => {
        for (const destination of remoteServersOf(now, serverName)) this.context.sendEdu(destination, edu);
      }, () => undefined);
    }, pingIntervalMs);
    timer.unref();
    this.pings.set(key, timer);
  }

  private async receive(origin: string, content: Record<string, unknown>): Promise<void> {
    const { room_id: roomId, user_id: userId, typing: isTyping } = content;
    if (typeof roomId !== 'string' || !isRoomId(roomId) || !isUserOf(userId, origin) || typeof isTyping !== 'boolean') return;
    if (origin === this.context.serverName || (await this.roomStates.membership(roomId, userId)) !== 'join') return;
    await this.typing.update(roomId, userId, isTyping, federationTimeoutMs);
  }
}
