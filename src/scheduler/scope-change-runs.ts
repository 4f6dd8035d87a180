import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { CANCELLED_FOR_SCOPE_CHANGE, STOPPING_FOR_SCOPE_CHANGE } from '../sync/local/job-scope.js';

/** The run was being stopped by an update of its job's prefix or filters: it is ended, never resumed. */
export const stoppingForScopeChange = (run: Pick<SyncRun, 'error'>): boolean => run.error === STOPPING_FOR_SCOPE_CHANGE;

/**
 * Start-up: ends the runs an update of their job's scope was stopping when the process went (their
 * listing position and marks are the old scope's). Returns the jobs whose run this call ended, to be
 * run again with the new scope as the update would have; a run another instance ended is not counted.
 */
export async function endRunsStoppedForScopeChange(orm: Orm, runs: readonly SyncRun[], at: Date): Promise<Set<string>> {
  const ended = new Set<string>();
  for (const run of runs.filter(stoppingForScopeChange)) {
    const count = await orm.em
      .fork()
      .nativeUpdate(
        SyncRun,
        { id: run.id, status: 'RUNNING', error: STOPPING_FOR_SCOPE_CHANGE },
        { status: 'CANCELLED', finishedAt: at, error: CANCELLED_FOR_SCOPE_CHANGE },
      );
    if (count === 1) ended.add(run.jobId);
  }
  return ended;
}
