import { setTimeout as delay } from 'node:timers/promises';
import { Job } from './entities/job.entity.js';
import type { Orm } from './orm.js';

/** PostgreSQL: deadlock detected, serialization failure. The server rolled the statement back; it may simply run again. */
const RETRIABLE_CONFLICTS = new Set(['40P01', '40001']);
const ATTEMPTS = 5;

/**
 * Deletes jobs (their runs, objects and webhook rows go by cascade). On PostgreSQL the cascade
 * locks a job's object rows in table order while a run of another instance may be updating a batch
 * of them in key order: the server then picks one side as a deadlock victim. The delete is the side
 * that can simply go again, so it does, after a short random pause.
 */
export async function deleteJobs(orm: Orm, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await orm.em.fork().nativeDelete(Job, { id: { $in: ids } });
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRIABLE_CONFLICTS.has(code)) throw error;
      await delay(20 + Math.random() * 50 * attempt);
    }
  }
}
