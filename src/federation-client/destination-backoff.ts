/**
 * Per-destination backoff: after a destination fails (no connection, TLS failure, timeout, 5xx), requests to it
 * fail fast until a retry time, so an unreachable server costs neither sockets nor the callers' time.
 *
 * The delay starts at 2 s and doubles with each consecutive failure up to 1 hour (2 s, 4 s, 8 s, ... 34 min,
 * then 1 h), each scaled by a random factor in [0.8, 1.2) so destinations that failed together are not retried
 * together. Any answer below 500 resets it. Failures of requests that were already in flight when the
 * destination entered backoff count once, so a burst of parallel requests does not skip several steps.
 */
export const backoffInitialMs = 2_000;
export const backoffMaxMs = 3_600_000;

type State = { failures: number; retryAt: number };

export class DestinationBackoff {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Milliseconds until `destination` may be tried again; 0 when it may be tried now. */
  remainingMs(destination: string): number {
    const state = this.states.get(destination);
    return state ? Math.max(state.retryAt - this.clock(), 0) : 0;
  }

  isBackingOff(destination: string): boolean {
    return this.remainingMs(destination) > 0;
  }

  recordFailure(destination: string): void {
    if (this.isBackingOff(destination)) return; // already counted by a concurrent request
    const failures = (this.states.get(destination)?.failures ?? 0) + 1;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** (failures - 1)) * (0.8 + 0.4 * this.random());
    this.states.set(destination, { failures, retryAt: this.clock() + Math.min(delay, backoffMaxMs) });
  }

  reset(destination: string): void {
    this.states.delete(destination);
  }
}
