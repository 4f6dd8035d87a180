import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { endRunStoppedForScopeChange, stoppingForScopeChange } from '../sync/local/job-scope.js';

/**
 * Start-up: ends the runs an update of their job's scope was stopping when the process went. Returns
 * the jobs whose run this call ended, to be run again with the new scope as the update would have; a
 * run another instance ended is not counted.
 */
export async function endRunsStoppedForScopeChange(orm: Orm, runs: readonly SyncRun[], at: Date): Promise<Set<string>> {
  const ended = new Set<string>();
  for (const run of runs.filter(stoppingForScopeChange)) {
    if (await endRunStoppedForScopeChange(orm, run.id, at)) ended.add(run.jobId);
  }
  return ended;
}
