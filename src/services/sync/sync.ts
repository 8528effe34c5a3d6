/**
 * /sync (client-server-api "Syncing"): what changed for a user's device between the positions of the
 * `since` token and the latest committed positions. With nothing to report and a timeout, the request
 * waits on the notifier (no polling) and then reads again.
 */
import { applyEventFilter, type EventFilter } from '../../core/filters/event-filter.ts';
import { selectEventFields } from '../../core/filters/event-fields.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { DeviceKeys } from '../e2ee/device-keys.ts';
import type { Presence, PresenceEvent, PresenceState } from '../ephemeral/presence.ts';
import type { PushRules } from '../push/push-rules.ts';
import type { SyncNotifier } from './notifier.ts';
import type { RoomSync, RoomSyncFilter, RoomsSync } from './room-sync.ts';
import { encodeSyncToken, parseSyncToken, syncStreams, zeroPositions, type SyncPositions, type SyncStream } from './sync-token.ts';

/** The parts of a sync filter (definitions/sync_filter.yaml) that Lattice applies. */
export interface SyncFilter {
  event_fields?: string[];
  account_data?: EventFilter;
  presence?: EventFilter;
  room?: RoomSyncFilter;
}

export interface SyncRequest {
  requester: Requester;
  since?: string;
  timeoutMs: number;
  fullState?: boolean;
  /** set_presence: the presence this sync reports for its user (online unless said otherwise). */
  setPresence?: PresenceState;
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
  presence?: { events: PresenceEvent[] };
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
    private readonly presence: Presence,
  ) {
    this.startPositions = notifier.current();
  }

  /** The positions when this process started: every change after them was announced to the notifier. */
  private readonly startPositions: SyncPositions;

  async sync(request: SyncRequest): Promise<SyncResponse> {
    const syncEnded = await this.presence.syncStarted(request.requester.userId, request.setPresence);
    try {
      return await this.syncWhileOnline(request);
    } finally {
      syncEnded();
    }
  }

  private async syncWhileOnline(request: SyncRequest): Promise<SyncResponse> {
    const since = request.since === undefined ? undefined : parseSyncToken(request.since);
    const longPoll = since !== undefined && !request.fullState && request.timeoutMs > 0;
    // A long poll whose token this process issued, with nothing announced for the user since, waits
    // before reading: building the empty answer would cost a dozen queries per poll (and per listener
    // woken by each message of a busy room).
    const waitFirst = longPoll && this.announcedSince(since) && !this.notifier.hasChanges(request.requester.userId, since);
    if (waitFirst) await this.notifier.waitForChanges(request.requester.userId, since, request.timeoutMs, request.signal);
    let upTo = this.notifier.current();
    let response = await this.build(request, since, upTo);
    if (longPoll && !waitFirst && !hasNews(response)) {
      await this.notifier.waitForChanges(request.requester.userId, upTo, request.timeoutMs, request.signal);
      upTo = this.notifier.current();
      response = await this.build(request, since, upTo);
    }
    return response;
  }

  private announcedSince(since: SyncPositions): boolean {
    return (Object.keys(this.startPositions) as SyncStream[]).every((stream) => since[stream] >= this.startPositions[stream]);
  }

  private async build(request: SyncRequest, since: SyncPositions | undefined, upTo: SyncPositions): Promise<SyncResponse> {
    const { userId, deviceId } = request.requester;
    const from = since ?? zeroPositions();
    const next = { ...upTo };

    // to_device: what the device has seen before `since` is acknowledged and dropped. Reading first
    // spares the usual case, nothing to drop, a write (which would wait for the writer). Streams that
    // did not move since the token are not read at all.
    if (since && since.to_device > 0 && (await this.storage.toDevice.pending(userId, deviceId, 0, since.to_device, 1)).length > 0) {
      await this.storage.toDevice.acknowledge(userId, deviceId, since.to_device);
    }
    const messages = from.to_device < upTo.to_device ? await this.storage.toDevice.pending(userId, deviceId, from.to_device, upTo.to_device, toDeviceLimit) : [];
    if (messages.length === toDeviceLimit) next.to_device = messages.at(-1)!.streamPosition;

    const accountDataChanges = from.account_data < upTo.account_data ? await this.storage.accountData.changedBetween(userId, from.account_data, upTo.account_data) : [];
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
      accountDataUpTo: upTo.account_data,
      typing: { since: since?.typing },
      receipts: { since: since?.receipts, upTo: upTo.receipts },
    });
    if (!since || since.push_rules < upTo.push_rules) accountData.push({ type: 'm.push_rules', content: { global: await this.pushRules.ruleset(userId) } });

    // device_lists is only part of an incremental sync ("Extensions to /sync").
    // Membership changes widen device_lists and presence; without any since the token, skip their queries.
    const membershipsMoved = since !== undefined && since.events < upTo.events && this.notifier.membershipChangedAfter(since.events);
    const membershipRange = since && { after: membershipsMoved ? since.events : upTo.events, upTo: upTo.events };
    const deviceListsMoved = since && (since.device_lists < upTo.device_lists || membershipsMoved);
    const deviceLists = deviceListsMoved ? await this.deviceKeys.listChanges(userId, { ...since, events: membershipRange!.after }, upTo) : undefined;
    const keyCounts = await this.deviceKeys.keyCounts(userId, deviceId);

    const response: SyncResponse = {
      next_batch: encodeSyncToken(next),
      device_one_time_keys_count: keyCounts.oneTimeKeyCounts,
      device_unused_fallback_key_types: keyCounts.unusedFallbackKeyTypes,
    };
    const presenceMoved = !since || since.presence < upTo.presence || membershipsMoved;
    const presenceEvents = presenceMoved ? await this.presence.syncEvents(userId, since?.presence, upTo.presence, membershipRange) : [];
    const presence = applyEventFilter(request.filter?.presence, presenceEvents);
    if (presence.length > 0) response.presence = { events: presence };
    const filteredAccountData = applyEventFilter(request.filter?.account_data, accountData);
    if (filteredAccountData.length > 0) response.account_data = { events: filteredAccountData };
    if (messages.length > 0) response.to_device = { events: messages.map((m) => ({ sender: m.sender, type: m.type, content: m.content })) };
    if (deviceLists && (deviceLists.changed.length > 0 || deviceLists.left.length > 0)) response.device_lists = deviceLists;
    if (request.filter?.event_fields) selectRoomEventFields(rooms, request.filter.event_fields);
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

/** A filter's event_fields apply to the room events of the response: timelines and state. */
function selectRoomEventFields(rooms: RoomsSync, fields: readonly string[]): void {
  for (const section of [...Object.values(rooms.join), ...Object.values(rooms.leave)]) {
    section.timeline.events = section.timeline.events.map((event) => selectEventFields(event, fields));
    section.state.events = section.state.events.map((event) => selectEventFields(event, fields));
  }
}

function hasNews(response: SyncResponse): boolean {
  return response.account_data !== undefined || response.presence !== undefined || response.to_device !== undefined || response.device_lists !== undefined || response.rooms !== undefined;
}
