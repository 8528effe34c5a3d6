/**
 * One HTTP pusher's delivery (push-gateway-api "Homeserver behaviour"; shaped like Synapse's
 * HttpPusher): its notifications go out one at a time, in stream order, read from the user's push
 * actions after the position last dealt with, which is stored after each one, so a restart resumes
 * where delivery stood and sends nothing twice. Notifications the user has read meanwhile are skipped.
 *
 * "If the endpoint returns an HTTP error code, the homeserver SHOULD retry for a reasonable amount of
 * time using exponential backoff": a failure the gateway may get over (network trouble, 5xx, 408, 429)
 * is retried after 1 s, doubling up to an hour; once the pusher has been failing for a day, the
 * notification is given up (so a gateway that comes back is not sent a day of stale alerts) and the
 * next one tried. A failure it will not get over (another 4xx, a refused address) drops that
 * notification at once. A queue waits on nothing but its own gateway, so others are never held up.
 *
 * A badge-only update (after the user read something) goes between notifications, so it cannot
 * overtake one carrying an older count; it is not retried, as the next update supersedes it.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import type { NotificationRecord } from '../../storage/repositories/event-push-actions.ts';
import type { PusherKey, PusherRecord } from '../../storage/repositories/pushers.ts';
import { PushGatewayError } from './push-gateway-client.ts';

const batchSize = 20;
export const firstRetryMs = 1_000;
export const maxRetryMs = 3_600_000;
export const giveUpAfterMs = 24 * 3_600_000;

/** What became of what failed: tried again later, left out, or given up after a day of failing. */
export type PushFailureOutcome = 'retrying' | 'dropped' | 'given up';

/** What a queue needs from the rest of the server. */
export interface PusherQueueContext {
  clock: () => number;
  pending(pusher: PusherRecord, after: number, upTo: number, limit: number): Promise<NotificationRecord[]>;
  /** The /notify body for a notification; undefined when there is nothing to send (the event is gone). */
  notificationBody(pusher: PusherRecord, notification: NotificationRecord): Promise<{ body: JsonObject; unread: number } | undefined>;
  /** The user's unread count, and the badge-only body that says it. */
  badgeBody(pusher: PusherRecord): Promise<{ body: JsonObject; unread: number }>;
  /** Resolves to the pushkeys the gateway rejected; throws PushGatewayError. */
  send(url: string, body: JsonObject, signal: AbortSignal): Promise<string[]>;
  /** Stores the progress; false when the pusher is gone. */
  recordProgress(key: PusherKey, progress: { lastStreamPosition: number; lastSuccessTs?: number; failingSinceTs: number | null }): Promise<boolean>;
  setFailingSince(key: PusherKey, failingSinceTs: number | null): Promise<void>;
  /** The gateway rejected the pushkey: the pusher must go ("Homeservers must ... remove the associated pushers"). */
  rejected(key: PusherKey): Promise<void>;
  onFailure(key: PusherKey, error: unknown, outcome: PushFailureOutcome): void;
}

type Outcome = 'done' | 'retry' | 'removed';

export class PusherQueue {
  private position: number;
  private failingSince: number | null;
  /** The highest committed position known to hold push actions; rows are read up to it, never past. */
  private upTo: number;
  /** How far rows have been read: nothing is left between `position` and it. */
  private readUpTo: number;
  private badgeDue = false;
  private lastBadge: number | undefined;
  private running = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = firstRetryMs;
  private readonly abort = new AbortController();

  constructor(
    private readonly pusher: PusherRecord,
    private readonly context: PusherQueueContext,
    upTo: number,
  ) {
    this.position = pusher.lastStreamPosition;
    this.readUpTo = pusher.lastStreamPosition;
    this.failingSince = pusher.failingSinceTs;
    this.upTo = upTo;
  }

  /** Push actions up to `position` were committed (perhaps some for this user). */
  notifyUpTo(position: number): void {
    this.upTo = Math.max(this.upTo, position);
    this.wake();
  }

  /** The user read something: tell the gateway the new unread count, if it changed. */
  updateBadge(): void {
    this.badgeDue = true;
    this.wake();
  }

  wake(): void {
    if (this.running || this.retryTimer || this.stopped) return;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        if (this.readUpTo < this.upTo) {
          const upTo = this.upTo;
          const rows = await this.context.pending(this.pusher, this.position, upTo, batchSize);
          for (const row of rows) {
            const outcome = await this.process(row);
            if (outcome !== 'done') return;
          }
          if (rows.length < batchSize) this.readUpTo = upTo;
          continue;
        }
        if (!this.badgeDue) break;
        this.badgeDue = false;
        await this.sendBadge();
      }
    } catch (error) {
      // The database (or a bug) failed us, not the gateway: try again later, without counting it against the pusher.
      if (this.stopped) return;
      this.context.onFailure(this.pusher, error, 'retrying');
      this.scheduleRetry();
    } finally {
      this.running = false;
    }
  }

  private async process(row: NotificationRecord): Promise<Outcome> {
    const prepared = row.read ? undefined : await this.context.notificationBody(this.pusher, row);
    if (!prepared) return this.advance(row.streamPosition);
    let rejected: string[];
    try {
      rejected = await this.context.send(gatewayUrl(this.pusher), prepared.body, this.abort.signal);
    } catch (error) {
      if (this.stopped) return 'retry';
      return this.failed(row, error);
    }
    this.retryMs = firstRetryMs;
    this.lastBadge = prepared.unread;
    if (rejected.includes(this.pusher.pushkey)) {
      this.stop();
      await this.context.rejected(this.pusher);
      return 'removed';
    }
    return this.advance(row.streamPosition, this.context.clock());
  }

  private async failed(row: NotificationRecord, error: unknown): Promise<Outcome> {
    const now = this.context.clock();
    if (!(error instanceof PushGatewayError && error.retryable)) {
      this.context.onFailure(this.pusher, error, 'dropped');
      return this.advance(row.streamPosition);
    }
    if (this.failingSince === null) {
      this.failingSince = now;
      await this.context.setFailingSince(this.pusher, now);
    }
    if (now - this.failingSince > giveUpAfterMs) {
      this.context.onFailure(this.pusher, error, 'given up');
      this.failingSince = null;
      this.retryMs = firstRetryMs;
      return this.advance(row.streamPosition);
    }
    this.context.onFailure(this.pusher, error, 'retrying');
    this.scheduleRetry();
    return 'retry';
  }

  /** The notification at `position` is dealt with; a success also ends a failing spell. */
  private async advance(position: number, successTs?: number): Promise<Outcome> {
    this.position = position;
    if (successTs !== undefined) this.failingSince = null;
    const exists = await this.context.recordProgress(this.pusher, { lastStreamPosition: position, lastSuccessTs: successTs, failingSinceTs: this.failingSince });
    if (exists) return 'done';
    this.stop();
    return 'removed';
  }

  private async sendBadge(): Promise<void> {
    const { body, unread } = await this.context.badgeBody(this.pusher);
    if (unread === this.lastBadge || this.failingSince !== null) return;
    try {
      const rejected = await this.context.send(gatewayUrl(this.pusher), body, this.abort.signal);
      this.lastBadge = unread;
      if (rejected.includes(this.pusher.pushkey)) {
        this.stop();
        await this.context.rejected(this.pusher);
      }
    } catch (error) {
      if (!this.stopped) this.context.onFailure(this.pusher, error, 'dropped');
    }
  }

  private scheduleRetry(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(maxRetryMs, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, delay);
  }
}

/** "data.url": checked when the pusher was set. */
function gatewayUrl(pusher: PusherRecord): string {
  return String(pusher.data.url);
}
