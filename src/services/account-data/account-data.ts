/**
 * Account data (client-server-api "Client Config"): per-user JSON, global or per room, private to
 * the user. Each write takes the next position of the account_data stream in the same transaction.
 */
import { MatrixError } from '../../core/errors.ts';
import { isRoomId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ServerEvents } from '../server-events.ts';

/** Types the server manages through their own APIs (read markers, push rules). */
const serverManagedTypes = new Set(['m.fully_read', 'm.push_rules']);

export class AccountData {
  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
  ) {}

  async set(requester: Requester, userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<void> {
    this.check(requester, userId, roomId);
    if (serverManagedTypes.has(type)) throw new MatrixError('M_BAD_JSON', `Cannot set ${type} through this API.`, { status: 405 });
    await this.write(userId, roomId, type, content);
  }

  /** Writes account data for the services that manage their own types (read markers, tags). */
  async write(userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<void> {
    const position = await this.storage.transaction(async (tx) => {
      const next = await tx.streamCounters.nextPosition('account_data');
      await tx.accountData.put(userId, roomId, type, content, next);
      return next;
    });
    this.events.emit('accountData', { userId, roomId, type, position });
  }

  async get(requester: Requester, userId: string, roomId: string | null, type: string): Promise<Record<string, unknown>> {
    this.check(requester, userId, roomId);
    const content = await this.storage.accountData.get(userId, roomId, type);
    if (!content) throw new MatrixError('M_NOT_FOUND', 'Account data not found');
    return content;
  }

  /** client-server-api "Room Tagging": the user's tags of a room, kept as `m.tag` room account data. */
  async tags(requester: Requester, userId: string, roomId: string): Promise<Record<string, Record<string, unknown>>> {
    this.check(requester, userId, roomId);
    const content = await this.storage.accountData.get(userId, roomId, 'm.tag');
    return (content?.tags ?? {}) as Record<string, Record<string, unknown>>;
  }

  async setTag(requester: Requester, userId: string, roomId: string, tag: string, info: Record<string, unknown>): Promise<void> {
    // "Room Tagging": tag names are at most 255 bytes.
    if (new TextEncoder().encode(tag).length > 255) throw new MatrixError('M_INVALID_PARAM', 'Tag names are limited to 255 bytes');
    if (info.order !== undefined && (typeof info.order !== 'number' || info.order < 0 || info.order > 1)) throw new MatrixError('M_INVALID_PARAM', 'order must be a number between 0 and 1');
    const tags = await this.tags(requester, userId, roomId);
    await this.write(userId, roomId, 'm.tag', { tags: { ...tags, [tag]: info } });
  }

  async deleteTag(requester: Requester, userId: string, roomId: string, tag: string): Promise<void> {
    const { [tag]: _removed, ...tags } = await this.tags(requester, userId, roomId);
    await this.write(userId, roomId, 'm.tag', { tags });
  }

  private check(requester: Requester, userId: string, roomId: string | null): void {
    if (requester.userId !== userId) throw new MatrixError('M_FORBIDDEN', 'Cannot access account data of other users.');
    if (roomId !== null && !isRoomId(roomId)) throw new MatrixError('M_INVALID_PARAM', 'Invalid room ID');
  }
}
