import type { Logger } from '../../config/logger.js';
import { JobGoneError } from '../checkpoint/checkpoint-store.js';
import type { RowBatcherOptions } from '../checkpoint/row-batcher.js';
import type { RunStats } from '../checkpoint/run-stats.js';
import { failureReason } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';
import { removeQuietly } from '../local/local-files.js';
import { FileSystemSyncError } from '../local/small-file-sync.js';
import type { RunTally } from './run-tally.js';

/**
 * The run cannot go on for a reason on this host (the download folder cannot be created or locked,
 * the listing cannot be recorded), not an S3 one: the run ends FAILED with this message as is.
 */
export class LocalRunError extends Error {
  override name = 'LocalRunError';
}

/** The `error` of the RUN_FINISHED a run sends when its job was deleted under it (no row is left to record it). */
export const JOB_DELETED = 'job deleted during the run';

/** What a run's failure handlers touch: the job's deletion, the run's first failure, the log. */
export interface RunFailureDeps {
  jobGone: () => void;
  tally: RunTally;
  logger: Logger;
}

/** A batch of object rows whose commit failed: the run fails, and small files not known durable are removed. */
export function rowCommitFailed({ jobGone, tally, logger }: RunFailureDeps, folder: JobFolder): RowBatcherOptions['onError'] {
  return (error, batch) => {
    if (error instanceof JobGoneError) return jobGone();
    if (error instanceof FileSystemSyncError) {
      tally.internalFailure(`disk: ${error.message}`);
      // Not known to be on disk: the next run fetches them again, not taking the files in place for published.
      for (const { update } of batch) if (update.localPath) removeQuietly(folder, update.localPath);
      return logger.error({ err: error }, 'could not make small files durable; their rows were not committed');
    }
    tally.internalFailure(`database: ${failureReason(error)}`);
    logger.error({ err: error }, 'could not commit object rows');
  };
}

/** An object task that threw instead of recording its outcome: counted, logged, and the run fails. */
export function objectTaskFailed({ jobGone, tally, logger }: RunFailureDeps, stats: RunStats): (error: unknown) => void {
  return (error) => {
    stats.tasksFailed += 1;
    if (error instanceof JobGoneError) return jobGone();
    tally.internalFailure(`object task: ${failureReason(error)}`);
    logger.error({ err: error }, 'an object task failed without recording an outcome');
  };
}
