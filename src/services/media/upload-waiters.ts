/**
 * Downloads waiting for an asynchronous upload (client-server-api PUT /media/v3/upload/{serverName}/{mediaId}):
 * a download of a created but not yet uploaded URI waits up to its timeout_ms, and the upload wakes it.
 * A waiter is armed before the download reads the media's row, so an upload landing in between still
 * wakes it. The waiters live in this process, where the uploads land while Lattice is one process.
 */
export interface UploadWait {
  /** Resolves when the media is uploaded or the time is up. */
  woken: Promise<void>;
  cancel(): void;
}

export class UploadWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  arm(key: string, timeoutMs: number): UploadWait {
    let cancel = () => {};
    const woken = new Promise<void>((resolve) => {
      const waiters = this.waiting.get(key) ?? new Set();
      this.waiting.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
      cancel = done;
    });
    return { woken, cancel };
  }

  uploaded(key: string): void {
    for (const wake of [...(this.waiting.get(key) ?? [])]) wake();
  }
}
