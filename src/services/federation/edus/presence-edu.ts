/**
 * server-server-api "Presence" (m.presence). Out: "Servers should only send presence updates for
 * users that the receiving server would be interested in. Such as the receiving server sharing a
 * room with a given user": a local user's change goes to the servers of those sharing a room with
 * them. In: updates for users of the origin that share a room with a local user are stored and
 * shown to those users; others would only fill the table.
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { UserId } from '../../../core/ids/identifiers.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { Presence, PresenceContent } from '../../ephemeral/presence.ts';
import { isUserOf, remoteServersOf, type EduContext } from './edu-context.ts';

const states: ReadonlySet<unknown> = new Set(['online', 'unavailable', 'offline']);

export function federatePresence(context: EduContext, presence: Presence, storage: Storage): void {
  const { serverName } = context;

  context.events.on('presence', ({ userId, userIds }) => {
    if (!isUserOf(userId, serverName)) return;
    const destinations = remoteServersOf(userIds, serverName);
    if (destinations.size === 0) return;
    void (async () => {
      const record = await storage.presence.get(userId);
      if (!record) return;
      const update: JsonObject = { user_id: userId, presence: record.state, last_active_ago: Math.max(0, context.clock() - record.lastActiveTs), currently_active: record.currentlyActive };
      if (record.statusMsg !== null) update.status_msg = record.statusMsg;
      for (const destination of destinations) context.sendEdu(destination, { edu_type: 'm.presence', content: { push: [update] } });
    })().catch(() => undefined);
  });

  context.onEdu('m.presence', async (origin, content) => {
    if (origin === serverName || !presence.enabled || !Array.isArray(content.push)) return;
    for (const update of content.push as unknown[]) {
      const parsed = parseUpdate(update, origin);
      if (!parsed) continue;
      const sharing = [...(await storage.roomMemberships.usersSharingRoomsWith(parsed.userId))].filter((user) => isUserOf(user, serverName));
      if (sharing.length > 0) await presence.receiveRemote(parsed.userId, parsed.content, sharing);
    }
  });
}

/** A `push` entry of a user of `origin`, or undefined when any field is wrong. */
function parseUpdate(update: unknown, origin: string): { userId: UserId; content: PresenceContent } | undefined {
  if (!isJsonObject(update)) return undefined;
  const { user_id: userId, presence, last_active_ago: ago, currently_active: active, status_msg: statusMsg } = update;
  if (!isUserOf(userId, origin) || !states.has(presence) || !Number.isSafeInteger(ago) || (ago as number) < 0) return undefined;
  if ((active !== undefined && typeof active !== 'boolean') || (statusMsg !== undefined && typeof statusMsg !== 'string')) return undefined;
  const content: PresenceContent = { presence: presence as PresenceContent['presence'], last_active_ago: ago as number, currently_active: active ?? false };
  if (statusMsg !== undefined) content.status_msg = statusMsg;
  return { userId, content };
}
