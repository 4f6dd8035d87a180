import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { NotFoundError } from './errors.js';
import { parseJobId } from './ids.js';

/** The job with this id (validated as a UUID, naming `field` when it is not), or NotFoundError. */
export async function requireJob(orm: Orm, rawId: unknown, field: string): Promise<Job> {
  const job = await orm.em.fork().findOne(Job, { id: parseJobId(rawId, field) });
  if (!job) throw new NotFoundError('Job', 'Job not found');
  return job;
}

/** The most recent run that did work (SKIPPED ticks are history, not the last run). */
export function findLastRun(orm: Orm, jobId: string): Promise<SyncRun | null> {
  return orm.em.fork().findOne(SyncRun, { jobId, status: { $ne: 'SKIPPED' } }, { orderBy: { id: 'desc' } });
}
