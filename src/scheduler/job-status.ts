import { LockMode, raw } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Job } from '../db/entities/job.entity.js';
import type { JobStatus } from '../db/entities/statuses.js';
import { isPostgres, type Orm } from '../db/orm.js';
import { inPlainTransaction } from '../db/plain-transaction.js';

const RUN_GOING = `exists (select 1 from sync_runs where job_id = ? and status = 'RUNNING')`;

/** RUNNING when a run of the job (on any instance) is RUNNING as the statement reads the runs, else `idle`. */
export function statusFromRuns(jobId: string, idle: JobStatus): JobStatus {
  return raw<Job, JobStatus>(`case when ${RUN_GOING} then 'RUNNING' else ? end`, [jobId, idle]);
}

/** RUNNING when a run of the job is RUNNING; a RUNNING with no run becomes SCHEDULED, any other status stays. */
function runningFromRuns(jobId: string): JobStatus {
  return raw<Job, JobStatus>(`case when ${RUN_GOING} then 'RUNNING' when status = 'RUNNING' then 'SCHEDULED' else status end`, [jobId]);
}

/**
 * Writes the job's status from its runs: RUNNING while one of them is RUNNING, else `idle` (with
 * `keepEnded`: the status it has, SCHEDULED for a RUNNING); a paused job is left alone, and a resume
 * not yet committed is not waited for (the resume settles the status again once it is). The row is
 * locked first and the status decided in a statement of its own: on PostgreSQL (READ COMMITTED) a
 * statement that waited for the row still reads the runs as they were when it began, and would
 * overwrite a run start committed meanwhile from that stale view. On SQLite the transaction (BEGIN
 * IMMEDIATE) already serializes the writers.
 */
export function settleJobStatus(orm: Orm, jobId: string, idle: JobStatus | 'keepEnded'): Promise<number> {
  return inPlainTransaction(orm, async (em) => {
    if (isPostgres(orm)) await lockJobUnlessPaused(orm, em, jobId, 'update');
    return em.nativeUpdate(Job, { id: jobId, status: { $ne: 'PAUSED' } }, {
      status: idle === 'keepEnded' ? runningFromRuns(jobId) : statusFromRuns(jobId, idle),
      updatedAt: new Date(),
    });
  });
}

/**
 * Whether the job is there and not paused, its row locked until the transaction ends on PostgreSQL
 * (`share`: against a pause's UPDATE; `update`: against another status write). SQLite's transactions
 * already hold the database's write lock from their start (BEGIN IMMEDIATE).
 */
export async function lockJobUnlessPaused(orm: Orm, em: SqlEntityManager, jobId: string, mode: 'share' | 'update'): Promise<boolean> {
  const lockMode = isPostgres(orm) ? (mode === 'share' ? LockMode.PESSIMISTIC_READ : LockMode.PESSIMISTIC_WRITE) : undefined;
  return (await em.findOne(Job, { id: jobId, status: { $ne: 'PAUSED' } }, { fields: ['id'], lockMode })) !== null;
}
