import { LockMode, raw } from '@mikro-orm/core';
import { Job } from '../db/entities/job.entity.js';
import type { JobStatus } from '../db/entities/statuses.js';
import { isPostgres, type Orm } from '../db/orm.js';
import { inPlainTransaction } from '../db/plain-transaction.js';

/** RUNNING when a run of the job (on any instance) is RUNNING as the statement reads the runs, else `idle`. */
export function statusFromRuns(jobId: string, idle: JobStatus): JobStatus {
  return raw<Job, JobStatus>(`case when exists (select 1 from sync_runs where job_id = ? and status = 'RUNNING') then 'RUNNING' else ? end`, [
    jobId,
    idle,
  ]);
}

/**
 * Writes the job's status from its runs: RUNNING while one of them is RUNNING, else `idle`; a paused
 * job is left alone. The job row is locked first and the status decided in a statement of its own:
 * on PostgreSQL (READ COMMITTED) a statement that waited for the row still reads the runs as they
 * were when it began, so a run start or a resume committed meanwhile would be overwritten from a
 * stale view. Locked first, the statement reads every run row committed before the row's last writer
 * let go. On SQLite the transaction (BEGIN IMMEDIATE) already serializes the writers.
 */
export function settleJobStatus(orm: Orm, jobId: string, idle: JobStatus): Promise<number> {
  return inPlainTransaction(orm, async (em) => {
    if (isPostgres(orm)) {
      await em.findOne(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { fields: ['id'], lockMode: LockMode.PESSIMISTIC_WRITE });
    }
    return em.nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { status: statusFromRuns(jobId, idle) });
  });
}
