import type { Logger } from '../config/logger.js';
import type { ProgressKind } from '../events/progress-event.js';
import type { ObjectStatus } from '../db/entities/statuses.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { HashPool } from './hash-worker.js';
import type { Semaphore } from './limiter.js';
import type { RowBatcher } from './row-batcher.js';
import type { RetryPolicy } from './retry.js';
import type { RemoteObject, S3Connector } from './s3-connector.js';

/** Counters a run exposes for benchmarks and logs (the `stats` of the "sync run finished" log line). */
export interface RunStats {
  wallMs: number;
  listMs: number;
  /**
   * Sum of the durations of chunk checkpoints: fdatasync of the .partial file + the row commit. They
   * run beside the transfers (the next chunks keep downloading), so this is not time the run waited.
   */
  checkpointMs: number;
  /** Time objects waited for their last checkpoint before verification: what checkpoints added to the run. */
  checkpointWaitMs: number;
  checkpoints: number;
  /** Sum of the fdatasync times of small (single-GET) files before their batched row commit. */
  fileSyncMs: number;
  /** Time spent in batched row commits (small objects, empty objects, failures). */
  batchCommitMs: number;
  batchCommits: number;
  /** GET requests sent and body bytes received (including retries and refetches). */
  gets: number;
  bytesFetched: number;
  retries: number;
}

export function emptyStats(): RunStats {
  return { wallMs: 0, listMs: 0, checkpointMs: 0, checkpointWaitMs: 0, checkpoints: 0, fileSyncMs: 0, batchCommitMs: 0, batchCommits: 0, gets: 0, bytesFetched: 0, retries: 0 };
}

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
  chunkParallelism: number;
  /** Ranged GETs in flight across all objects of the run. */
  chunkSlots: Semaphore;
  /** Objects at least this large are hashed on the run's worker thread. */
  workerHashMinBytes: number;
  hashPool: HashPool;
  retry: RetryPolicy;
  /** Aborts on cancel or when the job is deleted: no new chunk starts, retries stop. */
  signal: AbortSignal;
  logger: Logger;
  stats: RunStats;
  /** Directories already created in this run. */
  createdDirs: Set<string>;
  publish(kind: ProgressKind, object: RemoteObject, bytes: number, status: ObjectStatus, error?: string): void;
  /** Called when a row update finds the job gone. */
  jobGone(): void;
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
   * A small object's verified bytes are in memory; `finish` writes, fdatasyncs and renames them. The
   * caller runs it outside the object's download slot, so the next GET overlaps with the disk work.
   */
  | { status: 'FETCHED'; finish: () => Promise<TransferOutcome> };
