import { createWaiters } from '../../config/waiters.js';
import type { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { BatchUpdate, CheckpointStore } from './checkpoint-store.js';
import type { RunStats } from './run-stats.js';

interface Entry {
  key: string;
  update: BatchUpdate;
  /** Runs after the commit (publishes the object's events): never before, never on rollback. */
  after?: () => void;
}

/** Rows per batched commit unless a run's tuning says otherwise. */
export const DEFAULT_BATCH_ROWS = 500;

export interface RowBatcherOptions {
  maxRows?: number;
  maxDelayMs?: number;
  /** The run's counters, written in the same transaction. */
  counters: () => Partial<SyncRun>;
  stats: RunStats;
  /** Runs before each commit, in the same order (the small files' durability); its failure is the commit's. */
  beforeCommit?: () => Promise<void>;
  /** The batch whose commit failed (its rows are not written), with why. */
  onError: (error: unknown, batch: ReadonlyArray<{ key: string; update: BatchUpdate }>) => void;
}

/**
 * Groups the final row updates of small objects into one transaction per batch (per-object
 * transactions dominate the cost of small files), then runs each entry's `after`.
 *
 * `room` is the back-pressure on the fetching: while a commit waits (a database outage), the
 * objects finished meanwhile would otherwise pile up in memory and, if the wait gives up, all be
 * fetched again by the resumed run.
 */
export function createRowBatcher(store: CheckpointStore, options: RowBatcherOptions) {
  const maxRows = options.maxRows ?? DEFAULT_BATCH_ROWS;
  const maxDelayMs = options.maxDelayMs ?? 100;
  // One batch committing and one more filling behind it: commits that keep up never hold a transfer back.
  const maxUncommitted = 2 * maxRows;
  let queue: Entry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  /** Rows added whose commit has not ended (committed or given up on). */
  let uncommitted = 0;
  const roomWaiters = createWaiters<void>();

  const commitEnded = (rows: number) => {
    uncommitted -= rows;
    if (uncommitted < maxUncommitted) roomWaiters.wake(() => true);
  };

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    chain = chain.then(async () => {
      try {
        await options.beforeCommit?.();
        const started = performance.now();
        await store.commitMany(batch, options.counters());
        options.stats.batchCommitMs += performance.now() - started;
      } catch (error) {
        options.onError(error, batch);
        return;
      } finally {
        commitEnded(batch.length);
      }
      options.stats.batchCommits += 1;
      for (const entry of batch) entry.after?.();
    });
    return chain;
  };

  return {
    add(key: string, update: BatchUpdate, after?: () => void) {
      uncommitted += 1;
      queue.push({ key, update, after });
      if (queue.length >= maxRows) void flush();
      else timer ??= setTimeout(() => void flush(), maxDelayMs);
    },
    /** Commits everything queued so far and waits for it. */
    flush,
    /**
     * Undefined while fewer than two batches of rows wait for their commit (no wait); else a promise
     * that resolves once fewer do, or once `signal` aborts.
     */
    room(signal: AbortSignal): Promise<void> | undefined {
      if (uncommitted < maxUncommitted || signal.aborted) return undefined;
      return roomWaiters.wait(undefined, signal);
    },
  };
}

export type RowBatcher = ReturnType<typeof createRowBatcher>;
