/**
 * What the EDU federation of each type needs (server-server-api "EDUs"), and the checks they share.
 * EDUs carry no signatures of their own: the transaction's origin is all we know of where one came
 * from, so an EDU may only speak for users of its origin, and every field is checked before use.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import { isUserId, serverNameOf, type UserId } from '../../../core/ids/identifiers.ts';
import type { ServerEvents } from '../../server-events.ts';
import type { EduHandler } from '../transaction-receiver.ts';

export interface EduContext {
  serverName: string;
  events: ServerEvents;
  /** FederationSender.sendEdu: queues an ephemeral EDU for the destination's next transaction. */
  sendEdu(destination: string, edu: JsonObject): void;
  /** Persists EDUs that must survive a restart, then sends them. */
  sendDurableEdus(edus: ReadonlyArray<{ destination: string; edu: JsonObject }>): Promise<void>;
  /** TransactionReceiver.onEdu: handles received EDUs of a type. */
  onEdu(eduType: string, handler: EduHandler): void;
  clock: () => number;
}

/** Whether `value` is the ID of a user of `server` (historical localparts accepted, as over federation). */
export function isUserOf(value: unknown, server: string): value is UserId {
  return typeof value === 'string' && isUserId(value, { historical: true }) && serverNameOf(value) === server;
}

/** The servers other than `serverName` of `userIds`: where an EDU that concerns them must go. */
export function remoteServersOf(userIds: Iterable<string>, serverName: string): Set<string> {
  const servers = new Set<string>();
  for (const userId of userIds) {
    const server = serverNameOf(userId as UserId);
    if (server !== undefined && server !== serverName) servers.add(server);
  }
  return servers;
}

/** A string of at most `max` UTF-16 units (columns are 255 characters at most). */
export function isShortString(value: unknown, max = 255): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}
