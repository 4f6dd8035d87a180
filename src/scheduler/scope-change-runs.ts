import type { SyncRun } from '../db/entities/sync-run.entity.js';
import { CANCELLED_FOR_SCOPE_CHANGE, endRunStoppedForScopeChange, stoppingForScopeChange } from '../sync/local/job-scope.js';
import { completeClosedRunEnd, type ClosedRunEndDeps } from './closed-run-end.js';

/**
 * Start-up: ends the runs an update of their job's scope was stopping when the process went. Returns
 * the jobs whose run this call ended, to be run again with the new scope as the update would have; a
 * run another instance ended is not counted. Each run ended here ends as any other does: announced,
 * the job's status, the end-of-run hooks.
 */
export async function endRunsStoppedForScopeChange(deps: ClosedRunEndDeps, runs: readonly SyncRun[], at: Date): Promise<Set<string>> {
  const ended = new Set<string>();
  for (const run of runs.filter(stoppingForScopeChange)) {
    if (!(await endRunStoppedForScopeChange(deps.orm, run.id, at))) continue;
    ended.add(run.jobId);
    await completeClosedRunEnd(deps, { jobId: run.jobId, runId: run.id, status: 'CANCELLED', error: CANCELLED_FOR_SCOPE_CHANGE });
  }
  return ended;
}
