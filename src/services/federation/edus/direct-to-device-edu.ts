/**
 * server-server-api "Send-to-device messaging" (m.direct_to_device). Out: a /sendToDevice request's
 * messages for other servers' users go to each of those servers, "arranged in a map of user IDs to
 * a map of device IDs to message bodies" (toDeviceEdus; ToDevice hands them to the outbox). In: messages from a sender of the origin to this server's
 * users are queued for their devices, once per origin and `message_id` ("used for idempotence").
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import { serverNameOf, type UserId } from '../../../core/ids/identifiers.ts';
import type { ToDevice, ToDeviceMessages } from '../../e2ee/to-device.ts';
import type { RemoteToDevice } from '../../server-events.ts';
import { isShortString, isUserOf, type EduContext } from './edu-context.ts';

/** One m.direct_to_device EDU per server of the recipients. */
export function toDeviceEdus(remote: RemoteToDevice, serverName: string): Array<{ destination: string; edu: JsonObject }> {
  const byServer = new Map<string, ToDeviceMessages>();
  for (const [userId, byDevice] of Object.entries(remote.messages)) {
    const server = serverNameOf(userId as UserId);
    if (server === undefined || server === serverName) continue;
    const messages = byServer.get(server) ?? {};
    messages[userId] = byDevice;
    byServer.set(server, messages);
  }
  return [...byServer].map(([destination, messages]) => ({
    destination,
    edu: { edu_type: 'm.direct_to_device', content: { sender: remote.sender, type: remote.type, message_id: remote.messageId, messages } },
  }));
}

export function federateToDevice(context: EduContext, toDevice: ToDevice): void {
  const { serverName } = context;

  context.onEdu('m.direct_to_device', async (origin, content) => {
    const { sender, type, message_id: messageId, messages } = content;
    if (origin === serverName || !isUserOf(sender, origin) || !isShortString(type) || !isShortString(messageId) || !isJsonObject(messages)) return;
    const local: ToDeviceMessages = {};
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!isUserOf(userId, serverName) || !isJsonObject(byDevice)) continue;
      const valid = Object.entries(byDevice).filter(([deviceId, body]) => isShortString(deviceId) && isJsonObject(body));
      if (valid.length > 0) local[userId] = Object.fromEntries(valid) as Record<string, Record<string, unknown>>;
    }
    if (Object.keys(local).length === 0) return;
    await toDevice.receiveRemote(origin, { sender, type, messageId, messages: local });
  });
}
