import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { RunStatus } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import type { S3Connector } from './s3-connector.js';
import { executeSyncRun, type SyncTuning } from './sync-run.js';

/**
 * Executes one SyncRun row that is already RUNNING (freshly created, or left RUNNING by a process
 * that died) to its end, updates the row and returns its final status. Stops at the next chunk
 * boundary once `signal` aborts (final status CANCELLED). Made by createRunExecutor below;
 * the scheduler calls it.
 */
export type RunExecutor = (runId: number, signal: AbortSignal) => Promise<RunStatus>;

export interface RunExecutorDeps {
  orm: Orm;
  bus: EventBus;
  config: Config;
  logger: Logger;
  /** Shared by all runs when given (tests, benchmarks); otherwise each run opens and closes its own. */
  connector?: S3Connector;
  tuning?: SyncTuning;
}

/**
 * Executes a RUNNING SyncRun row (new, or left RUNNING by a dead process: executing it again
 * resumes from the checkpoints) and returns its final status. Leaves Job.status to the scheduler.
 */
export function createRunExecutor(deps: RunExecutorDeps): RunExecutor {
  return async (runId, signal) => {
    try {
      return (await executeSyncRun(deps, runId, signal)).status;
    } catch (error) {
      // Only the database can get here (S3, network and file problems are recorded per object).
      deps.logger.error({ err: error, runId }, 'sync run failed');
      await deps.orm.em
        .fork()
        .nativeUpdate(SyncRun, { id: runId, status: 'RUNNING' }, { status: 'FAILED', finishedAt: new Date(), error: 'internal error' })
        .catch(() => {});
      return 'FAILED';
    }
  };
}
