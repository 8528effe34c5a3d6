/**
 * The in-process bus of things that happened, emitted after they are committed. Writers emit; the
 * sync notifier, the federation sender and the appservice sender subscribe. Nobody calls them directly.
 */
import { EventEmitter } from 'node:events';

export interface ServerEventMap {
  /** A user's account data changed (global or room), at this position of the account_data stream. */
  accountData: [{ userId: string; roomId: string | null; type: string; position: number }];
  /** A user's push rules changed, at this position of the push_rules stream. */
  pushRules: [{ userId: string; position: number }];
  /**
   * A user's devices, device keys or cross-signing keys changed, at this position of the device_lists
   * stream; `userIds` are the users it concerns (the user and everyone sharing a room with them; only
   * this server's for a user of another server). What changed, as federation announces it: the device
   * added, removed or whose keys changed, or (`signingKeys`) the master or self-signing key.
   */
  deviceLists: [{ userId: string; position: number; userIds: string[]; deviceId?: string; signingKeys?: true }];
  /** Send-to-device messages were queued for these users, at this position of the to_device stream. */
  toDevice: [{ userIds: string[]; position: number }];
  /** A room event was committed to the timeline at this position of the events stream. */
  roomEvent: [{ roomId: string; eventId: string; position: number; userIds: string[]; /** Set when the event changes this user's membership. */ membershipOf?: string }];
  /** A room's typing list changed, at this position of the (in-memory) typing stream. */
  typing: [{ roomId: string; position: number; userIds: string[]; /** The user whose typing changed, and to what. */ userId: string; typing: boolean }];
  /** A receipt of `userId` was stored, at this position of the receipts stream; `userIds` are those it concerns. */
  receipt: [{ roomId: string; userId: string; position: number; userIds: string[] }];
  /** Unread counts of the room changed otherwise than by new push actions (a redaction removed some). */
  unreadChanged: [{ roomId: string }];
  /** Push actions were recorded for the room event at this position (in commit order, before its roomEvent). */
  pushActions: [{ roomId: string; position: number; actions: Array<{ userId: string; threadId: string | null; notify: boolean; highlight: boolean }> }];
  /** A user's pusher was set, replaced or removed (pushers/set, or a push gateway rejecting its pushkey). */
  pusher: [{ userId: string; appId: string; pushkey: string }];
  /** A user's presence changed, at this position of the presence stream; `userIds` share a room with them. */
  presence: [{ userId: string; position: number; userIds: string[] }];
}

/** One send-to-device request's messages for users of other servers (user → device ID or "*" → content). */
export interface RemoteToDevice {
  sender: string;
  type: string;
  messageId: string;
  messages: Record<string, Record<string, Record<string, unknown>>>;
}

export class ServerEvents extends EventEmitter<ServerEventMap> {}
