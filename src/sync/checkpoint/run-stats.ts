/** Counters a run exposes for benchmarks and logs (the `stats` of the "sync run finished" log line). */
export interface RunStats {
  wallMs: number;
  listMs: number;
  /** Key ranges the listing went through side by side (1: one listing in sequence). */
  listRanges: number;
  /** The key ranges were given up for one listing in sequence (a seam that did not match, a failed range). */
  listRangesGivenUp: boolean;
  /**
   * Sum of the durations of chunk checkpoints: fdatasync of the .partial file + the row commit. They
   * run beside the transfers (the next chunks keep downloading), so this is not time the run waited.
   */
  checkpointMs: number;
  /**
   * Wall time during which at least one object waited for its last checkpoint before verification,
   * overlapping waits counted once: the most that checkpoints added to the run.
   */
  checkpointWaitMs: number;
  /** The same waits summed over objects (objects that finish together each count theirs). */
  checkpointWaitSummedMs: number;
  checkpoints: number;
  /**
   * Sum of the times small (single-GET) files took to become durable before their batched row
   * commit: their fdatasyncs, or the file system syncs that made them durable together.
   */
  fileSyncMs: number;
  /** File system syncs run before batched row commits (0: each small file was fdatasync'ed). */
  fileSystemSyncs: number;
  /** Time spent in batched row commits (small objects, empty objects, failures). */
  batchCommitMs: number;
  batchCommits: number;
  /** GET requests sent and body bytes received (including retries and refetches). */
  gets: number;
  bytesFetched: number;
  retries: number;
  /** Object tasks that threw instead of recording an outcome (each also fails the run). */
  tasksFailed: number;
}

export function emptyStats(): RunStats {
  return { wallMs: 0, listMs: 0, listRanges: 1, listRangesGivenUp: false, checkpointMs: 0, checkpointWaitMs: 0, checkpointWaitSummedMs: 0, checkpoints: 0, fileSyncMs: 0, fileSystemSyncs: 0, batchCommitMs: 0, batchCommits: 0, gets: 0, bytesFetched: 0, retries: 0, tasksFailed: 0 };
}

/** Times waits twice: each one on its own, and on the wall clock, each moment once however many waits overlap it. */
export interface WaitClock {
  time<T>(wait: Promise<T>): Promise<T>;
}

export function createWaitClock(report: { each(ms: number): void; overlapping(ms: number): void }): WaitClock {
  let waiting = 0;
  let since = 0;
  return {
    async time(wait) {
      const started = performance.now();
      if (waiting++ === 0) since = started;
      try {
        return await wait;
      } finally {
        const now = performance.now();
        report.each(now - started);
        if (--waiting === 0) report.overlapping(now - since);
      }
    },
  };
}

/** The clock of a run's checkpoint waits, into `stats.checkpointWaitSummedMs` and `stats.checkpointWaitMs`. */
export function createCheckpointWaitClock(stats: RunStats): WaitClock {
  return createWaitClock({
    each: (ms) => (stats.checkpointWaitSummedMs += ms),
    overlapping: (ms) => (stats.checkpointWaitMs += ms),
  });
}

/** Counts one file system sync of small files and its time into `stats`. */
export function fileSystemSyncCounter(stats: RunStats): (ms: number) => void {
  return (ms) => {
    stats.fileSyncMs += ms;
    stats.fileSystemSyncs += 1;
  };
}
