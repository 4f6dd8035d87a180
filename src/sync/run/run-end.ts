import type { Logger } from '../../config/logger.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import type { Orm } from '../../db/orm.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { RunStats } from '../checkpoint/run-stats.js';
import { failureReason } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';
import { applyMirrorDeletes, DEFAULT_MAX_DELETE_PERCENT, type MirrorDeleteOutcome } from './mirror-deletes.js';
import { JOB_DELETED } from './run-errors.js';
import type { RunEvents } from './run-events.js';
import type { RunCounters } from './run-progress.js';
import type { RunTally } from './run-tally.js';

export interface MirrorDeleteStepInput {
  orm: Orm;
  logger: Logger;
  job: { id: string; maxDeletePercent: number | null };
  runId: number;
  folder: JobFolder;
  listedAny: boolean;
  events: RunEvents;
  tally: RunTally;
}

/** Mirror deletes after a complete, error-free listing; a failure of the step itself fails the run. */
export async function mirrorDeleteStep(input: MirrorDeleteStepInput): Promise<MirrorDeleteOutcome | undefined> {
  const { events, tally } = input;
  return applyMirrorDeletes({
    orm: input.orm,
    logger: input.logger,
    jobId: input.job.id,
    runId: input.runId,
    folder: input.folder,
    listedAny: input.listedAny,
    maxDeletePercent: input.job.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT,
    onDeleted: (row) => events.object('OBJECT_DELETED', { key: row.key, size: row.size, etag: '', lastModified: null, checksumAlgorithms: [] }, 0, 'DELETED'),
  }).catch((error: unknown) => {
    tally.internalFailure(`mirror deletes: ${failureReason(error)}`);
    return undefined;
  });
}

export interface RunEndInput {
  store: CheckpointStore;
  events: RunEvents;
  logger: Logger;
  tally: RunTally;
  /**
   * As the row showed them while the run went (run-progress.ts `snapshot`): a cancelled run's objects
   * still in flight keep their committed chunks, which the next run resumes from.
   */
  counters: RunCounters;
  stats: RunStats;
  aborted: boolean;
  deletes: MirrorDeleteOutcome | undefined;
}

/**
 * Records the run's end (status, error, counters, a mirror-deletes refusal or failure) on its row and announces
 * it. `recorded` is false when the row could not be written (the run is then reported FAILED) or was
 * no longer RUNNING (cancelled meanwhile).
 */
export async function recordRunEnd(input: RunEndInput): Promise<{ status: RunStatus; recorded: boolean }> {
  const { tally, counters, logger } = input;
  const deletesBlocked = input.deletes?.kind === 'blocked' ? input.deletes.message : null;
  const deletesFailed = input.deletes?.kind === 'deleted' ? input.deletes.error : null;
  const { status, error } = tally.outcome(input.aborted, deletesBlocked ?? deletesFailed);
  try {
    const ended = { ...counters, status, error, deletesBlocked, finishedAt: new Date() };
    if (!(await input.store.updateRun(ended))) {
      // Its job deleted meanwhile (another instance): nothing else will tell those who saw it start.
      if (!(await input.store.runExists())) input.events.run('RUN_FINISHED', counters.bytesDone, 'CANCELLED', JOB_DELETED);
      return { status: 'CANCELLED', recorded: false };
    }
  } catch (dbError) {
    logger.error({ err: dbError }, 'could not record the end of the sync run');
    return { status: 'FAILED', recorded: false };
  }
  input.events.run('RUN_FINISHED', counters.bytesDone, status, error);
  // A failed run is something to look at: it shows at LOG_LEVEL=warn, the others at info.
  logger[status === 'FAILED' ? 'warn' : 'info']({ status, ...counters, error, stats: input.stats, deletes: input.deletes }, 'sync run finished');
  return { status, recorded: true };
}
