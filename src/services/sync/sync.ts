/**
 * /sync (client-server-api "Syncing"): what changed for a user's device between the positions of the
 * `since` token and the latest committed positions. With nothing to report and a timeout, the request
 * waits on the notifier (no polling) and then reads again.
 */
import { applyEventFilter, type EventFilter } from '../../core/filters/event-filter.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { DeviceKeys } from '../e2ee/device-keys.ts';
import type { PushRules } from '../push/push-rules.ts';
import type { SyncNotifier } from './notifier.ts';
import type { RoomSync, RoomSyncFilter, RoomsSync } from './room-sync.ts';
import { encodeSyncToken, parseSyncToken, syncStreams, zeroPositions, type SyncPositions, type SyncStream } from './sync-token.ts';

/** The parts of a sync filter (definitions/sync_filter.yaml) that Lattice applies. */
export interface SyncFilter {
  account_data?: EventFilter;
  room?: RoomSyncFilter;
}

export interface SyncRequest {
  requester: Requester;
  since?: string;
  timeoutMs: number;
  fullState?: boolean;
  filter?: SyncFilter;
  signal?: AbortSignal;
}

interface BasicEvent {
  type: string;
  content: Record<string, unknown>;
  sender?: string;
}

export interface SyncResponse {
  next_batch: string;
  rooms?: Partial<RoomsSync>;
  account_data?: { events: BasicEvent[] };
  to_device?: { events: BasicEvent[] };
  device_lists?: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** Send-to-device messages per response, as Synapse does; the rest follow in the next sync. */
const toDeviceLimit = 100;

export class Sync {
  constructor(
    private readonly storage: Storage,
    private readonly notifier: SyncNotifier,
    private readonly pushRules: PushRules,
    private readonly deviceKeys: DeviceKeys,
    private readonly roomSync: RoomSync,
  ) {}

  async sync(request: SyncRequest): Promise<SyncResponse> {
    const since = request.since === undefined ? undefined : parseSyncToken(request.since);
    let upTo = this.notifier.current();
    let response = await this.build(request, since, upTo);
    if (since && !request.fullState && request.timeoutMs > 0 && !hasNews(response)) {
      await this.notifier.waitForChanges(request.requester.userId, upTo, request.timeoutMs, request.signal);
      upTo = this.notifier.current();
      response = await this.build(request, since, upTo);
    }
    return response;
  }

  private async build(request: SyncRequest, since: SyncPositions | undefined, upTo: SyncPositions): Promise<SyncResponse> {
    const { userId, deviceId } = request.requester;
    const from = since ?? zeroPositions();
    const next = { ...upTo };

    // to_device: what the device has seen before `since` is acknowledged and dropped.
    if (since) await this.storage.toDevice.acknowledge(userId, deviceId, since.to_device);
    const messages = await this.storage.toDevice.pending(userId, deviceId, from.to_device, upTo.to_device, toDeviceLimit);
    if (messages.length === toDeviceLimit) next.to_device = messages.at(-1)!.streamPosition;

    const accountDataChanges = await this.storage.accountData.changedBetween(userId, from.account_data, upTo.account_data);
    const accountData: BasicEvent[] = accountDataChanges.filter((record) => record.roomId === null).map((record) => ({ type: record.type, content: record.content }));
    const roomAccountData = new Map<string, Array<{ type: string; content: Record<string, unknown> }>>();
    for (const record of accountDataChanges) {
      if (record.roomId !== null) roomAccountData.set(record.roomId, [...(roomAccountData.get(record.roomId) ?? []), { type: record.type, content: record.content }]);
    }
    const rooms = await this.roomSync.rooms({
      userId,
      deviceId,
      since: since?.events,
      upTo: upTo.events,
      fullState: request.fullState === true,
      filter: request.filter?.room,
      accountData: roomAccountData,
      typing: { since: since?.typing },
      receipts: { since: since?.receipts, upTo: upTo.receipts },
    });
    if (!since || since.push_rules < upTo.push_rules) accountData.push({ type: 'm.push_rules', content: { global: await this.pushRules.ruleset(userId) } });

    const changed = since ? await this.storage.e2eeKeys.usersWithDeviceListChanges([userId], since.device_lists, upTo.device_lists) : [];
    const keyCounts = await this.deviceKeys.keyCounts(userId, deviceId);

    const response: SyncResponse = {
      next_batch: encodeSyncToken(next),
      device_one_time_keys_count: keyCounts.oneTimeKeyCounts,
      device_unused_fallback_key_types: keyCounts.unusedFallbackKeyTypes,
    };
    const filteredAccountData = applyEventFilter(request.filter?.account_data, accountData);
    if (filteredAccountData.length > 0) response.account_data = { events: filteredAccountData };
    if (messages.length > 0) response.to_device = { events: messages.map((m) => ({ sender: m.sender, type: m.type, content: m.content })) };
    if (changed.length > 0) response.device_lists = { changed, left: [] };
    const roomSections = Object.fromEntries(Object.entries(rooms).filter(([, section]) => Object.keys(section).length > 0));
    if (Object.keys(roomSections).length > 0) response.rooms = roomSections;
    return response;
  }
}

/** The committed position of every stored sync stream, to start the notifier from (typing lives in memory and starts at 0). */
export async function currentSyncPositions(storage: Storage): Promise<SyncPositions> {
  const positions = zeroPositions();
  for (const stream of Object.keys(syncStreams) as SyncStream[]) if (stream !== 'typing') positions[stream] = await storage.streamCounters.currentPosition(stream);
  return positions;
}

function hasNews(response: SyncResponse): boolean {
  return response.account_data !== undefined || response.to_device !== undefined || response.device_lists !== undefined || response.rooms !== undefined;
}
