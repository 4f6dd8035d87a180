import type { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { createVersionBytes, type ObjectVersion } from './version-bytes.js';

export type RunCounters = Pick<SyncRun, 'objectsTotal' | 'objectsDone' | 'objectsFailed' | 'objectsSkipped' | 'bytesTotal' | 'bytesDone'>;

export interface RunProgressOptions {
  /** At most one write of the run row per interval (the row batcher's commits write it too). */
  intervalMs?: number;
  onError(error: unknown): void;
}

/**
 * Keeps a run's row current while it lists and downloads, so any client loading mid-run can draw an
 * overall bar: `bytesDone` counts finished objects plus the committed chunks of those in flight.
 * Writes are coalesced by a timer (never one per chunk); `stop()` waits for the last one before the
 * run records its end.
 */
export function createRunProgress(store: CheckpointStore, counters: RunCounters, options: RunProgressOptions) {
  const intervalMs = options.intervalMs ?? 500;
  /** Committed bytes of each object in flight (from its CHUNK checkpoints), of the version being fetched. */
  const partial = createVersionBytes();
  let partialBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;

  const snapshot = (): RunCounters => ({ ...counters, bytesDone: counters.bytesDone + partialBytes });

  const write = () => {
    timer = undefined;
    const fields = snapshot();
    writing = writing.then(
      () => store.updateRun(fields).then(() => undefined),
      () => undefined,
    ).catch(options.onError);
  };

  const changed = () => {
    if (stopped || timer) return;
    timer = setTimeout(write, intervalMs);
    timer.unref();
  };

  return {
    snapshot,
    /** Counters moved (a listing slice was recorded): the row is written within the interval. */
    changed,
    /** An object's checkpoint reached `bytes` (a new version's replace the old one's: version-bytes.ts). */
    chunk(object: ObjectVersion, bytes: number) {
      partialBytes += partial.advance(object, bytes) ?? 0;
      changed();
    },
    /** The object ended (its size moved into `counters.bytesDone`, or it failed). */
    settle(key: string) {
      partialBytes -= partial.forget(key);
    },
    /** No more timed writes; waits for one in progress. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await writing;
    },
  };
}

export type RunProgress = ReturnType<typeof createRunProgress>;
