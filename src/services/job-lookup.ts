import { raw } from '@mikro-orm/core';
import { isWorthWaitingFor } from '../db/database-outage.js';
import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { JobGoneError } from '../scheduler/job-gone-error.js';
import { NotFoundError } from './errors.js';
import { parseJobId } from './ids.js';

/** The job with this id (validated as a UUID, naming `field` when it is not), or null. */
export function findJob(orm: Orm, rawId: unknown, field: string): Promise<Job | null> {
  return orm.em.fork().findOne(Job, { id: parseJobId(rawId, field) });
}

/** The error of a job that is not there (never was, or was deleted meanwhile by another request). */
export const jobNotFound = (): NotFoundError => new NotFoundError('Job', 'Job not found');

/** Rethrows `error`, the runner's JobGoneError (the job deleted meanwhile) as the job not found. */
export function rethrowJobGoneAsNotFound(error: unknown): never {
  throw error instanceof JobGoneError ? jobNotFound() : error;
}

/** findJob, or NotFoundError when there is no such job. */
export async function requireJob(orm: Orm, rawId: unknown, field: string): Promise<Job> {
  const job = await findJob(orm, rawId, field);
  if (!job) throw jobNotFound();
  return job;
}

/**
 * `read`, or `inHand` when the database stopped answering: the mutation's first write is committed,
 * so it answers with what it wrote (its "try again later" would repeat that write).
 */
export function orInHandWhenDatabaseGone<T>(read: Promise<T>, inHand: () => T): Promise<T> {
  return read.catch((error: unknown) => (isWorthWaitingFor(error) ? inHand() : Promise.reject(error)));
}

/** The most recent run that did work (SKIPPED ticks are history, not the last run). */
export async function findLastRun(orm: Orm, jobId: string): Promise<SyncRun | null> {
  return (await findLastRuns(orm, [jobId])).get(jobId) ?? null;
}

/** findLastRun for many jobs in two queries, whatever their number: job id → run (absent when none). */
export async function findLastRuns(orm: Orm, jobIds: readonly string[]): Promise<Map<string, SyncRun>> {
  if (jobIds.length === 0) return new Map();
  const em = orm.em.fork();
  const latest = await em
    .createQueryBuilder(SyncRun)
    .select(['jobId', raw('max(id) as latest')])
    .where({ jobId: { $in: [...jobIds] }, status: { $ne: 'SKIPPED' } })
    .groupBy('jobId')
    .execute<Array<{ latest: number }>>('all', true);
  const runs = await em.find(SyncRun, { id: { $in: latest.map((row) => row.latest) } });
  return new Map(runs.map((run) => [run.jobId, run]));
}
