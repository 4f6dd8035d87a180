import { CONFLICT_ATTEMPTS, conflictPause, isRetriableConflict } from './database-outage.js';
import { Job } from './entities/job.entity.js';
import type { Orm } from './orm.js';

/**
 * Deletes jobs (their runs, objects and webhook rows go by cascade); returns how many were there.
 * On PostgreSQL the cascade locks a job's object rows in table order while a run of another
 * instance may be updating a batch of them in key order: the server then picks one side as a
 * deadlock victim. The delete is the side that can simply go again, so it does, after a short
 * random pause.
 */
export async function deleteJobs(orm: Orm, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await orm.em.fork().nativeDelete(Job, { id: { $in: ids } });
    } catch (error) {
      if (attempt >= CONFLICT_ATTEMPTS || !isRetriableConflict(error)) throw error;
      await conflictPause(attempt);
    }
  }
}
