import type { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { BatchUpdate, CheckpointStore } from './checkpoint-store.js';
import type { RunStats } from './run-stats.js';

interface Entry {
  key: string;
  update: BatchUpdate;
  /** Runs after the commit (publishes the object's events): never before, never on rollback. */
  after?: () => void;
}

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
 */
export function createRowBatcher(store: CheckpointStore, options: RowBatcherOptions) {
  const maxRows = options.maxRows ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 100;
  let queue: Entry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

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
      }
      options.stats.batchCommits += 1;
      for (const entry of batch) entry.after?.();
    });
    return chain;
  };

  return {
    add(key: string, update: BatchUpdate, after?: () => void) {
      queue.push({ key, update, after });
      if (queue.length >= maxRows) void flush();
      else timer ??= setTimeout(() => void flush(), maxDelayMs);
    },
    /** Commits everything queued so far and waits for it. */
    flush,
  };
}

export type RowBatcher = ReturnType<typeof createRowBatcher>;
