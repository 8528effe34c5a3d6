/**
 * Gives the JavaScript heap back to the operating system when the process goes quiet after a burst.
 *
 * Under load V8 lets its old generation grow to several times what is live, and its young generation
 * to 32 MiB, and keeps both when the load stops: after the client benchmark the old space held 83 MiB
 * of which 46 were live, and 30 idle seconds later it still did (V8's own memory reducer did not
 * act). A full collection does not help by itself: the pages it frees are scattered over the space,
 * so it stays as large. So once the event loop has been quiet for a moment, a compacting collection
 * moves what is live together and returns the empty pages; once it has been quiet for several
 * seconds, V8 sees a low allocation rate and also shrinks the young generation at the next
 * collection (tried again each quiet second for a few seconds, as its rate lags). Each costs one pause of some tens of milliseconds, taken when no work is waiting.
 *
 * The collections need `gc`, which V8 exposes on request; a flag set at run time takes effect for the
 * contexts created after it, so a fresh context hands it over.
 */
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapCompactionOptions {
  /** How often the event loop's use is sampled, ms. */
  intervalMs?: number;
  /** The event loop counts as quiet while it was busy less than this part of an interval. */
  quietBelow?: number;
  /** Compact once the heap has grown by this many bytes since the last compaction. */
  growthBytes?: number;
  /** Quiet intervals in a row after which the young generation is shrunk (V8 measures its allocation rate over 5 s). */
  quietIntervalsToShrink?: number;
  /** Collections in a row that may try it, one per quiet interval, until V8 has shrunk it. */
  shrinkAttempts?: number;
  /** Only a young generation larger than this is shrunk (V8 starts it at 1 MiB). */
  shrinkYoungAbove?: number;
  /** Told about each collection. */
  onCollected?: (collection: HeapCollection) => void;
}

export interface HeapCollection {
  reason: 'compact' | 'shrink-young';
  heapBeforeBytes: number;
  heapAfterBytes: number;
  ms: number;
}

export interface HeapCompaction {
  stop(): void;
}

type Collect = () => void;

let collect: Collect | undefined;

function collector(): Collect {
  if (collect) return collect;
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (!exposed) setFlagsFromString('--expose-gc');
  const gc = exposed ?? (runInNewContext('gc') as Collect);
  collect = () => {
    // Read at each collection, so it applies to this one only (V8 otherwise compacts only when it expects a gain).
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
  return collect;
}

const heapBytes = () => getHeapStatistics().total_heap_size;
const youngBytes = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

export function compactHeapWhenQuiet(options: HeapCompactionOptions = {}): HeapCompaction {
  const mib = 1024 * 1024;
  const { intervalMs = 1_000, quietBelow = 0.05, growthBytes = 16 * mib, quietIntervalsToShrink = 5, shrinkAttempts = 5, shrinkYoungAbove = 4 * mib, onCollected } = options;
  const gc = collector();
  let baseline = heapBytes();
  let lastUse = performance.eventLoopUtilization();
  let quietIntervals = 0;

  const run = (reason: HeapCollection['reason']) => {
    const before = heapBytes();
    const started = performance.now();
    gc();
    baseline = heapBytes();
    onCollected?.({ reason, heapBeforeBytes: before, heapAfterBytes: baseline, ms: performance.now() - started });
  };

  const timer = setInterval(() => {
    const use = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(use, lastUse).utilization;
    lastUse = use;
    if (busy >= quietBelow) {
      quietIntervals = 0;
      return;
    }
    quietIntervals++;
    if (heapBytes() >= baseline + growthBytes) run('compact');
    else if (quietIntervals >= quietIntervalsToShrink && quietIntervals < quietIntervalsToShrink + shrinkAttempts && youngBytes() > shrinkYoungAbove) run('shrink-young');
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
