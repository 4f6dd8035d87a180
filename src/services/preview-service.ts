import { databaseNow } from '../db/database-clock.js';
import { Job } from '../db/entities/job.entity.js';
import { withoutStatement } from '../config/statement-text.js';
import type { Orm } from '../db/orm.js';
import { upcomingRuns } from '../scheduler/job-timing.js';
import type { SyncPreview } from '../sync/sync-preview.js';
import { ConflictError, InputError } from './errors.js';
import { parseJobId } from './ids.js';
import { jobNotFound, requireJob } from './job-lookup.js';

export const MAX_UPCOMING_RUNS = 100;
export const DEFAULT_UPCOMING_RUNS = 5;

export interface PreviewServiceDeps {
  orm: Orm;
  /** Lists the job's source and classifies its objects (sync/sync-preview.ts); absent in apps without a sync engine. */
  previewSync?: (job: Job, signal?: AbortSignal) => Promise<SyncPreview>;
}

/** Previews that change nothing: the schedule's next run times, and what a run would do now. */
export function createPreviewService({ orm, previewSync }: PreviewServiceDeps) {
  return {
    async upcomingRuns(rawId: unknown, rawCount: unknown, field = 'id', countField = 'count'): Promise<Date[]> {
      const count = parseCount(rawCount, countField);
      return upcomingRuns(await requireJob(orm, rawId, field), databaseNow(orm), count);
    },

    /** For a job already loaded (GraphQL's Job.upcomingRuns: no query per job of a page). */
    upcomingRunsOf(job: Pick<Job, 'schedule' | 'timezone' | 'createdAt'>, rawCount: unknown, countField = 'count'): Date[] {
      return upcomingRuns(job, databaseNow(orm), parseCount(rawCount, countField));
    },

    /** Lists the source now; transfers and deletes nothing. `signal`: the caller went away, the listing stops. */
    async previewSync(rawId: unknown, field = 'jobId', signal?: AbortSignal): Promise<SyncPreview> {
      const id = parseJobId(rawId, field);
      const job = await orm.em.fork().findOne(Job, { id }, { populate: ['sealedCredentials', 'sealedSseCustomerKey'] as never });
      if (!job) throw jobNotFound();
      if (!previewSync) throw new ConflictError('Previews need the sync engine, which this instance does not run');
      try {
        return await previewSync(job, signal);
      } catch (error) {
        const reason = error instanceof Error ? withoutStatement(error.message) : String(error);
        throw new ConflictError(`The source of this job could not be listed: ${reason}`);
      }
    },
  };
}

function parseCount(rawCount: unknown, field: string): number {
  const count = rawCount ?? DEFAULT_UPCOMING_RUNS;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_UPCOMING_RUNS) {
    throw new InputError(field, `${field} must be a whole number from 1 to ${MAX_UPCOMING_RUNS}`);
  }
  return count;
}

export type PreviewService = ReturnType<typeof createPreviewService>;
