import type { Logger } from '../config/logger.js';
import { isWorthWaitingFor, wroteAfterCommit, whileDatabaseDown } from '../db/database-outage.js';
import { Job } from '../db/entities/job.entity.js';
import type { Orm } from '../db/orm.js';
import { removeRowsOutOfScope } from '../sync/local/job-scope.js';
import type { JobRunner } from '../scheduler/job-runner-types.js';

export interface ScopeChangeDeps {
  orm: Orm;
  runner: JobRunner;
  downloadRoot?: string;
  logger?: Logger;
  /** DB_OUTAGE_WAIT: how long a change left for later waits for an unreachable database. */
  databaseOutageWaitMs?: number;
}

/**
 * After an update committed a job's new prefix or filters: the running sync lists the old scope, so
 * it is stopped, the rows that no longer belong are dropped, and it runs again. When the database
 * does not answer, this is done once it does (a run that starts first drops those rows itself
 * before it lists).
 */
export function createScopeChange({ orm, runner, downloadRoot, logger, databaseOutageWaitMs }: ScopeChangeDeps) {
  const isPaused = async (id: string) => (await orm.em.fork().count(Job, { id, status: 'PAUSED' })) > 0;

  async function rerunInNewScope(job: Job, wasRunning: boolean): Promise<void> {
    // A pause that landed while the run stopped wins: a paused job gets no rerun.
    if (!wasRunning || (await isPaused(job.id))) return;
    // The new prefix is stored: should the rerun not start (the service is stopping), the next scheduled run uses it.
    const rerun = await runner
      .trigger(job.id, 'UPDATE')
      .catch((err: unknown) => logger?.warn({ err, jobId: job.id }, 'could not rerun after a prefix or filter change'));
    // A pause stores PAUSED before it looks for runs to stop; the rerun looks at the status after its
    // row is in. So one of the two sees the other, also across instances, and the rerun is stopped.
    if (rerun?.status === 'RUNNING' && (await isPaused(job.id))) await runner.cancel(job.id);
  }

  const couldNotRerun = (jobId: string) => (err: unknown) => {
    if (!isWorthWaitingFor(err)) throw err;
    logger?.warn({ err, jobId }, 'database locked or unreachable: no rerun after a prefix or filter change, the next scheduled run uses it');
  };

  return async function applyNewScope(job: Job): Promise<void> {
    let wasRunning = false;
    const stopAndDrop = async () => {
      wasRunning ||= await runner.cancel(job.id);
      await removeRowsOutOfScope(orm, job, downloadRoot);
    };
    if (await wroteAfterCommit(stopAndDrop)) return rerunInNewScope(job, wasRunning).catch(couldNotRerun(job.id));
    logger?.warn({ jobId: job.id }, 'database locked or unreachable: the job is updated, its new scope is applied once the database answers');
    void whileDatabaseDown(stopAndDrop, { maxWaitMs: databaseOutageWaitMs })
      .then(() => rerunInNewScope(job, wasRunning))
      .catch((err: unknown) => logger?.warn({ err, jobId: job.id }, 'could not apply the new scope of an updated job'));
  };
}
