/**
 * Time-limited TURN credentials (client-server-api "GET /voip/turnServer"), in the REST API scheme
 * coturn implements with use-auth-secret: username "<expiry>:<user ID>", password
 * base64(HMAC-SHA1(secret, username)).
 */
import { createHmac } from 'node:crypto';

export interface TurnSettings {
  uris: string[];
  sharedSecret: string | undefined;
  lifetimeMs: number;
}

export interface TurnServer {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

/** The TURN server for `userId`, or undefined when none is configured. */
export function turnServerFor(userId: string, settings: TurnSettings, now: number): TurnServer | undefined {
  if (settings.uris.length === 0 || !settings.sharedSecret) return undefined;
  const username = `${Math.floor((now + settings.lifetimeMs) / 1000)}:${userId}`;
  const password = createHmac('sha1', settings.sharedSecret).update(username).digest('base64');
  return { username, password, uris: settings.uris, ttl: Math.floor(settings.lifetimeMs / 1000) };
}
