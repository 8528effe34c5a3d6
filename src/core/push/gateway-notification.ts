/**
 * The body of a push gateway's /notify request (push-gateway-api "POST /_matrix/push/v1/notify"): one
 * notification about an event, or a badge-only update, for one pusher (the `devices` array has one
 * device, as Synapse sends it).
 */
import type { JsonObject } from '../canonical-json.ts';
import type { PushAction } from './push-rule.ts';

/** The pusher as the gateway sees it. */
export interface GatewayDevice {
  appId: string;
  pushkey: string;
  /** When the pushkey was set, in milliseconds. */
  pushkeyTs: number;
  /** The pusher's `data`, including `url` (left out of what is sent) and `format`. */
  data: Record<string, unknown>;
}

export interface NotifiedEvent {
  eventId: string;
  roomId: string;
  type: string;
  sender: string;
  stateKey?: string;
  content: JsonObject;
}

/** What the notification says about the room and sender, read from the room's state. */
export interface NotificationContext {
  senderDisplayName?: string;
  roomName?: string;
  roomAlias?: string;
}

/**
 * "Counts": unread is always sent, even when zero: a badge-only update exists to lower the badge,
 * and gateways (Sygnal) leave the badge as it was when the count is absent. missed_calls, which would
 * be omitted as zero, is not counted.
 */
export interface NotificationCounts {
  unread: number;
}

/**
 * "set_tweak": the tweaks the actions set. "If a highlight tweak is given with no value, its value is
 * defined to be true"; another tweak without a value is not passed on, as it would mean nothing.
 */
export function tweaksOf(actions: readonly PushAction[]): Record<string, unknown> {
  const tweaks: Record<string, unknown> = {};
  for (const action of actions) {
    if (typeof action !== 'object' || typeof action.set_tweak !== 'string') continue;
    if (action.value !== undefined) tweaks[action.set_tweak] = action.value;
    else if (action.set_tweak === 'highlight') tweaks.highlight = true;
  }
  return tweaks;
}

/**
 * "prio": high (the default) for what alerts the user: a sound or a highlight, or an encrypted event
 * whose rules the client evaluates after decrypting it. Other notifications (the `.m.rule.message`
 * kind, which notify without a sound) go as low, which gateways may deliver with less battery, as
 * Synapse does.
 */
export function priorityOf(eventType: string, tweaks: Record<string, unknown>): 'high' | 'low' {
  const alerts = (tweaks.sound !== undefined && tweaks.sound !== false) || tweaks.highlight === true;
  return alerts || eventType === 'm.room.encrypted' ? 'high' : 'low';
}

/** The request body for a notification about `event`; with data.format "event_id_only", only what that format requires. */
export function eventNotification(input: {
  event: NotifiedEvent;
  userId: string;
  actions: readonly PushAction[];
  counts: NotificationCounts;
  device: GatewayDevice;
  context: NotificationContext;
}): JsonObject {
  const { event, device, context } = input;
  const tweaks = tweaksOf(input.actions);
  const prio = priorityOf(event.type, tweaks);
  const devices = [{ ...deviceOf(device), tweaks }];
  if (device.data.format === 'event_id_only') {
    return { notification: { event_id: event.eventId, room_id: event.roomId, prio, counts: { ...input.counts }, devices } };
  }
  const notification: JsonObject = { event_id: event.eventId, room_id: event.roomId, type: event.type, sender: event.sender };
  if (context.senderDisplayName) notification.sender_display_name = context.senderDisplayName;
  if (context.roomName) notification.room_name = context.roomName;
  if (context.roomAlias) notification.room_alias = context.roomAlias;
  if (event.type === 'm.room.member' && event.stateKey !== undefined) notification.user_is_target = event.stateKey === input.userId;
  notification.prio = prio;
  if (Object.keys(event.content).length > 0) notification.content = event.content;
  notification.counts = { ...input.counts };
  notification.devices = devices;
  return { notification };
}

/** A counts-only update ("The counts may be sent along with a notification about an event or by themselves"). */
export function badgeNotification(device: GatewayDevice, counts: NotificationCounts): JsonObject {
  return { notification: { counts: { ...counts }, devices: [deviceOf(device)] } };
}

/** "data": "the data dictionary passed in at pusher creation minus the url key"; "pushkey_ts" in seconds. */
function deviceOf(device: GatewayDevice): JsonObject {
  const { url: _url, ...data } = device.data;
  return { app_id: device.appId, pushkey: device.pushkey, pushkey_ts: Math.floor(device.pushkeyTs / 1000), data };
}
