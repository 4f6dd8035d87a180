import type { Config } from '../../config/env.js';
import { fileMd5 } from '../local/linux-fs.js';
import { createHashPool, type HashPool } from '../verify/hash-worker.js';
import { createSemaphore, type Semaphore } from '../../config/semaphore.js';
import { resolveTuning, type SyncTuning } from './sync-tuning.js';

/** Small files being written beside the downloads (memory: at most 8 MiB). */
const SMALL_WRITES_IN_FLIGHT = 32;

/**
 * The transfer bounds of a whole process, shared by every run it executes (several jobs at once,
 * helpers included): SYNC_CONCURRENCY objects in flight, the tuning's ranged GETs in flight, the
 * small files waiting for their write, and the threads hashing large objects. Each run's own limits
 * (a job's maxConcurrency) come on top of them: an object holds a slot of both. Made once by the run
 * executor; `npm run sync` (one run) gets its own.
 */
export interface ProcessSlots {
  objects: Semaphore;
  spans: Semaphore;
  smallWrites: Semaphore;
  hashes: HashPool;
}

export function createProcessSlots(config: Pick<Config, 'chunkSize' | 'syncConcurrency'>, tuning?: SyncTuning): ProcessSlots {
  return {
    objects: createSemaphore(config.syncConcurrency),
    spans: createSemaphore(resolveTuning(config, tuning).spanSlots),
    smallWrites: createSemaphore(SMALL_WRITES_IN_FLIGHT),
    hashes: createHashPool({ native: fileMd5() }),
  };
}
