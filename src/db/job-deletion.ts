import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CONFLICT_ATTEMPTS, conflictPause, isRetriableConflict } from './database-outage.js';
import { Job } from './entities/job.entity.js';
import { isPostgres, type Orm } from './orm.js';

/**
 * Object rows one SQLite statement deletes: a few milliseconds with their count triggers, and in all
 * about as long as one cascading statement; larger batches hold the event loop longer for nothing.
 */
export const OBJECT_DELETE_BATCH = 2000;

/**
 * Deletes jobs (their runs, objects and webhook rows go by cascade); returns how many were there.
 * On PostgreSQL the cascade locks a job's object rows in table order while a run of another
 * instance may be updating a batch of them in key order: the server then picks one side as a
 * deadlock victim. The delete is the side that can simply go again, so it does, after a short
 * random pause.
 */
export async function deleteJobs(orm: Orm, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  if (!isPostgres(orm)) for (const id of ids) await deleteObjectsInBatches(orm, id);
  for (let attempt = 1; ; attempt++) {
    try {
      return await orm.em.fork().nativeDelete(Job, { id: { $in: ids } });
    } catch (error) {
      if (attempt >= CONFLICT_ATTEMPTS || !isRetriableConflict(error)) throw error;
      await conflictPause(attempt);
    }
  }
}

/**
 * SQLite only: better-sqlite3 runs a statement on the thread that serves the API, so one cascading
 * delete of a job's object rows (a row trigger each, keeping `object_counts`) held every request,
 * the scheduler and the subscriptions for seconds at a million rows. The rows go first in id order, a batch per
 * statement with the event loop free between them. Each statement commits its rows with their
 * counts, so a crash part-way leaves the job with fewer objects and exact counts, and the next
 * delete goes on; rows a late writer adds meanwhile go with the job's own cascade at the end.
 * PostgreSQL's driver does not hold the event loop: there the one cascading statement stays.
 */
async function deleteObjectsInBatches(orm: Orm, jobId: string): Promise<void> {
  const knex = orm.em.getKnex();
  for (;;) {
    const batch = knex('sync_objects').select('id').where('job_id', jobId).orderBy('id').limit(OBJECT_DELETE_BATCH);
    const deleted = await knex('sync_objects').whereIn('id', batch).delete();
    if (deleted < OBJECT_DELETE_BATCH) return;
    await yieldToLoop();
  }
}
