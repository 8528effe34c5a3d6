/**
 * Pushers (client-server-api "Push notifications", "PUT /pushers/set"): the push gateways a user's
 * devices registered, validated as the spec requires. Setting a pusher starts its delivery over from
 * the current end of the events stream (as Synapse does), so it is not sent what came before; every
 * change is announced, and PushDelivery follows it.
 */
import { MatrixError } from '../../core/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ServerEvents } from '../server-events.ts';

export interface PusherInput {
  kind: string | null;
  app_id: string;
  pushkey: string;
  app_display_name?: string;
  device_display_name?: string;
  profile_tag?: string;
  lang?: string;
  data?: Record<string, unknown>;
  append?: boolean;
}

export class Pushers {
  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly clock: () => number,
  ) {}

  async set(requester: Requester, input: PusherInput): Promise<void> {
    const { app_id: appId, pushkey } = input;
    if (input.kind === null) {
      await this.storage.pushers.delete(requester.userId, appId, pushkey);
      this.events.emit('pusher', { userId: requester.userId, appId, pushkey });
      return;
    }
    const missing = (['app_display_name', 'device_display_name', 'lang', 'data'] as const).filter((key) => input[key] === undefined);
    if (missing.length > 0) throw new MatrixError('M_MISSING_PARAM', `Missing parameters: ${missing.join(', ')}`);
    if (input.kind !== 'http' && input.kind !== 'email') throw new MatrixError('M_INVALID_PARAM', `Unknown pusher kind ${input.kind}`);
    if (input.kind === 'http') checkGatewayUrl(input.data!.url);
    const displaced = await this.storage.pushers.set(
      {
        userId: requester.userId,
        appId,
        pushkey,
        kind: input.kind,
        deviceId: requester.deviceId,
        appDisplayName: input.app_display_name!,
        deviceDisplayName: input.device_display_name!,
        profileTag: input.profile_tag ?? null,
        lang: input.lang!,
        data: input.data!,
        createdTs: this.clock(),
        lastStreamPosition: await this.storage.streamCounters.currentPosition('events'),
      },
      input.append === true,
    );
    for (const userId of [requester.userId, ...displaced]) this.events.emit('pusher', { userId, appId, pushkey });
  }

  async list(requester: Requester): Promise<Array<Record<string, unknown>>> {
    return (await this.storage.pushers.ofUser(requester.userId)).map((pusher) => ({
      kind: pusher.kind,
      app_id: pusher.appId,
      pushkey: pusher.pushkey,
      app_display_name: pusher.appDisplayName,
      device_display_name: pusher.deviceDisplayName,
      ...(pusher.profileTag === null ? {} : { profile_tag: pusher.profileTag }),
      lang: pusher.lang,
      data: pusher.data,
    }));
  }
}

/** "data.url": required for http pushers, an http(s) URL whose path is /_matrix/push/v1/notify. */
function checkGatewayUrl(url: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.pathname !== '/_matrix/push/v1/notify') {
    throw new MatrixError('M_INVALID_PARAM', 'data.url must be a push gateway URL ending in /_matrix/push/v1/notify');
  }
}
