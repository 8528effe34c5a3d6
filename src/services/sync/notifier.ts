/**
 * Wakes long-polling /sync requests. It holds positions only: the latest position of every stream,
 * and per user the latest position of each stream that concerns them. A waiting request compares
 * those with the positions it has answered up to, so a change committed between its read and its
 * wait is never missed; it then reads the committed rows itself.
 */
import type { ServerEvents } from '../server-events.ts';
import { zeroPositions, type SyncPositions, type SyncStream } from './sync-token.ts';

interface Waiter {
  userId: string;
  wake: () => void;
}

export class SyncNotifier {
  private readonly latest: SyncPositions;
  private readonly latestForUser = new Map<string, Partial<SyncPositions>>();
  private readonly waiters = new Set<Waiter>();
  /**
   * The events-stream position of the latest membership change announced; changes before this
   * process started are unknown, so it starts at the position the process started from.
   */
  private latestMembershipChange: number;

  constructor(initial: SyncPositions, events: ServerEvents) {
    this.latest = { ...zeroPositions(), ...initial };
    this.latestMembershipChange = this.latest.events;
    events.on('accountData', ({ userId, position }) => this.advance('account_data', position, [userId]));
    events.on('pushRules', ({ userId, position }) => this.advance('push_rules', position, [userId]));
    events.on('toDevice', ({ userIds, position }) => this.advance('to_device', position, userIds));
    events.on('roomEvent', ({ position, userIds, membershipOf }) => {
      if (membershipOf !== undefined) this.latestMembershipChange = Math.max(this.latestMembershipChange, position);
      this.advance('events', position, userIds);
    });
    events.on('typing', ({ position, userIds }) => this.advance('typing', position, userIds));
    events.on('receipt', ({ position, userIds }) => this.advance('receipts', position, userIds));
    events.on('presence', ({ position, userIds }) => this.advance('presence', position, userIds));
    // A user's device list changes concern the user and everyone sharing a room with them.
    events.on('deviceLists', ({ position, userIds }) => this.advance('device_lists', position, userIds));
  }

  /** The latest committed position of every stream: what a /sync may read up to. */
  current(): SyncPositions {
    return { ...this.latest };
  }

  /**
   * Whether a membership may have changed after this events-stream position: if not, whom a user
   * shares rooms with is as it was, and the queries over membership changes can be skipped.
   */
  membershipChangedAfter(eventsPosition: number): boolean {
    return this.latestMembershipChange > eventsPosition;
  }

  /** Whether anything concerning the user happened after `positions`. */
  hasChanges(userId: string, positions: SyncPositions): boolean {
    const mine = this.latestForUser.get(userId);
    return mine !== undefined && (Object.keys(mine) as SyncStream[]).some((stream) => mine[stream]! > positions[stream]);
  }

  /** Resolves when something concerning the user happens after `positions`, or after `timeoutMs`, or on abort. */
  async waitForChanges(userId: string, positions: SyncPositions, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.hasChanges(userId, positions) || timeoutMs <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const waiter: Waiter = { userId, wake: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      signal?.addEventListener('abort', finish);
      this.waiters.add(waiter);
    });
  }

  private advance(stream: SyncStream, position: number, userIds: readonly string[]): void {
    this.latest[stream] = Math.max(this.latest[stream], position);
    const concerned = new Set(userIds);
    for (const userId of concerned) {
      const mine = this.latestForUser.get(userId) ?? {};
      mine[stream] = Math.max(mine[stream] ?? 0, position);
      this.latestForUser.set(userId, mine);
    }
    for (const waiter of this.waiters) if (concerned.has(waiter.userId)) waiter.wake();
  }
}
