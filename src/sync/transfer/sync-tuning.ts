import type { Config } from '../../config/env.js';
import { DEFAULT_BATCH_ROWS } from '../checkpoint/row-batcher.js';

/**
 * One large object is fetched as this many GETs in flight, each asking for this many bytes (whole
 * chunks, each checkpointed as it lands). On a 2-core host against a local server, 4 × 32 MiB beat
 * 16 × 8 MiB (1 GB: ~3.6 s → ~3.0 s; 5 × 200 MB: ~3.1 s → ~2.7 s): a request costs the server
 * ~5 ms of CPU, and fewer streams keep the contiguous prefix (what the hash worker reads) close
 * behind the newest bytes, so little hashing is left when the last byte lands.
 */
const DEFAULT_STREAMS_PER_OBJECT = 4;
const DEFAULT_GET_SPAN_BYTES = 32 * 1024 * 1024;

/** MD5 on the main thread took ~40% of a 1 GB run; a worker costs a few MB of RSS. */
const DEFAULT_WORKER_HASH_MIN_BYTES = 64 * 1024 * 1024;

/** Stored keys per listing range at least (a range costs up to a request more than one sequence). */
export const DEFAULT_LIST_RANGE_MIN_KEYS = 5000;

/** The sync engine's knobs (benchmarks and tests set them; the service uses the defaults). */
export interface SyncTuning {
  /** Ranged GETs of one large object in flight (default 4). */
  spansPerObject?: number;
  /** Ranged GETs in flight across all the runs of the process (default max(16, 2 × syncConcurrency)). */
  spanSlots?: number;
  /** Objects at least this large are hashed off the engine's thread, by the hash pool (default 64 MiB). */
  workerHashMinBytes?: number;
  socketTimeoutMs?: number;
  /** Bytes one ranged GET asks for, rounded to whole chunks (default 32 MiB, at least one chunk). */
  getSpanBytes?: number;
  /** A rerun lists its prefix as key ranges side by side only with at least this many stored keys per range (default 5000). */
  listRangeMinKeys?: number;
  /** Finished objects' rows per batched commit (default 500); at most twice as many wait for their commit. */
  batchRows?: number;
}

export interface ResolvedTuning {
  spanSlots: number;
  spansPerObject: number;
  getSpan: number;
  workerHashMinBytes: number;
  socketTimeoutMs: number | undefined;
  listRangeMinKeys: number;
  batchRows: number;
}

/** The knobs with their defaults filled in for this configuration. */
export function resolveTuning(config: Pick<Config, 'chunkSize' | 'syncConcurrency'>, tuning: SyncTuning = {}): ResolvedTuning {
  const spanSlots = Math.max(1, tuning.spanSlots ?? Math.max(16, 2 * config.syncConcurrency));
  return {
    spanSlots,
    // Several large objects share the slots, DEFAULT_STREAMS_PER_OBJECT each.
    spansPerObject: Math.max(1, tuning.spansPerObject ?? Math.min(spanSlots, DEFAULT_STREAMS_PER_OBJECT)),
    getSpan: Math.max(1, Math.round((tuning.getSpanBytes ?? DEFAULT_GET_SPAN_BYTES) / config.chunkSize)) * config.chunkSize,
    workerHashMinBytes: tuning.workerHashMinBytes ?? DEFAULT_WORKER_HASH_MIN_BYTES,
    socketTimeoutMs: tuning.socketTimeoutMs,
    listRangeMinKeys: Math.max(1, tuning.listRangeMinKeys ?? DEFAULT_LIST_RANGE_MIN_KEYS),
    batchRows: Math.max(1, tuning.batchRows ?? DEFAULT_BATCH_ROWS),
  };
}
