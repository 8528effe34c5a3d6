/**
 * Keeps event_push_actions from growing without end: every event of a room with N local members
 * writes N rows. Once an event is older than `retentionMs` (a month, as Synapse keeps them), its rows
 * go unless a count still needs them: notifications not yet read stay (they are unread counts), and so
 * does each user's newest own event per room and thread (a read point). GET /notifications then lists
 * a month of read notifications. Runs at start and every `intervalMs`, in batches that each commit.
 */
import type { Storage } from '../../storage/storage.ts';

const batchSize = 1000;

export interface PruningSettings {
  retentionMs: number;
  intervalMs: number;
}

export class PushActionsPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
    private readonly settings: PruningSettings = { retentionMs: 30 * 24 * 3_600_000, intervalMs: 3_600_000 },
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    const tick = () => void this.prune().catch((error: unknown) => this.stopped || this.onFailure(error));
    tick();
    this.timer = setInterval(tick, this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Prunes what is older than the retention; resolves with the number of rows deleted. */
  prune(): Promise<number> {
    this.running ??= this.pruneAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pruneAll(): Promise<number> {
    const upTo = await this.storage.roomEvents.lastPositionBefore(this.clock() - this.settings.retentionMs);
    let total = 0;
    while (upTo > 0 && !this.stopped) {
      const deleted = await this.storage.transaction((tx) => tx.eventPushActions.pruneUpTo(upTo, batchSize));
      total += deleted;
      if (deleted < batchSize) break;
      // Requests go first between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}
