import type { Logger } from '../../config/logger.js';
import type { ProgressKind } from '../../events/progress-event.js';
import type { ObjectStatus } from '../../db/entities/statuses.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { HashPool } from '../verify/hash-worker.js';
import type { JobFolder } from '../local/job-folder.js';
import type { OpenPartial } from '../local/local-files.js';
import type { SmallFileSync } from '../local/small-file-sync.js';
import type { Semaphore } from '../../config/semaphore.js';
import type { RowBatcher } from '../checkpoint/row-batcher.js';
import type { RetryPolicy } from '../transport/retry.js';
import type { RunStats, WaitClock } from '../checkpoint/run-stats.js';
import type { RemoteObject, S3Connector } from '../transport/s3-connector.js';

/** Everything one object's transfer needs from its run. */
export interface TransferContext {
  connector: S3Connector;
  store: CheckpointStore;
  batcher: RowBatcher;
  bucket: string;
  jobId: string;
  runId: number;
  chunkSize: number;
  /** Bytes asked for by one ranged GET: a whole number of chunks, each checkpointed as it lands. */
  getSpan: number;
  /** Ranged GETs of one object in flight at once. */
  spansPerObject: number;
  /** Ranged GETs in flight across all objects of the run. */
  spanSlots: Semaphore;
  /** Objects at least this large are hashed by the process's hash pool (native or worker threads). */
  workerHashMinBytes: number;
  hashPool: HashPool;
  retry: RetryPolicy;
  /** Aborts on cancel or when the job is deleted: GETs in flight end, no new span starts, retries stop. */
  signal: AbortSignal;
  logger: Logger;
  stats: RunStats;
  /** Times the objects' waits for their last checkpoint into `stats.checkpointWaitMs` and `checkpointWaitSummedMs`. */
  checkpointWaits: WaitClock;
  /** `<root>/<job_id>`: every write beneath it, none through a symbolic link. */
  folder: JobFolder;
  /** Opens partial files (local-files.ts openPartial unless a test injects faults). */
  openPartial: OpenPartial;
  /** Whether small files are fdatasync'ed each, or counted for the file system sync before their rows' commit. */
  smallFileSync: SmallFileSync;
  publish(kind: ProgressKind, object: RemoteObject, bytes: number, status: ObjectStatus, error?: string): void;
  /** Called when a row update finds the job gone. */
  jobGone(): void;
  /** Told about each retried GET (metrics). */
  onRetry?: (error: unknown) => void;
}

/** One object to fetch, as decided from the listing and its stored row. */
export interface WorkItem {
  remote: RemoteObject;
  finalPath: string;
  partialPath: string;
  /** Stored checkpoint of this very version (0 when new or changed). */
  lastPosition: number;
}

export type TransferOutcome =
  | { status: 'PROCESSED' }
  /** `restart`: the partial file was discarded, so the checkpoint goes back to 0. */
  | { status: 'FAILED'; error: string; restart?: boolean }
  /** The source changed under us (412 on If-Match): the caller re-reads it and starts again. */
  | { status: 'CHANGED' }
  /** The run was aborted; checkpoints are intact. */
  | { status: 'CANCELLED' }
  /**
   * A small object's verified bytes are in memory; `finish` writes and renames them (see smallFileSync). The
   * caller runs it outside the object's download slot, so the next GET overlaps with the disk work.
   */
  | { status: 'FETCHED'; finish: () => Promise<TransferOutcome> };

/**
 * Commits one object's state for its transfer; false when the transfer stops there: the object's
 * claim went to another session (only this object stops), or its job is gone (the run stops:
 * `jobGone` is told).
 */
export async function commitForTransfer(
  ctx: Pick<TransferContext, 'store' | 'jobGone'>,
  key: string,
  update: Parameters<CheckpointStore['commit']>[1],
): Promise<boolean> {
  const outcome = await ctx.store.commit(key, update);
  if (outcome === 'job-gone') ctx.jobGone();
  return outcome === 'committed';
}
