import { SyncObject } from '../../db/entities/sync-object.entity.js';
import type { Orm } from '../../db/orm.js';

interface RunCounters {
  objectsTotal: number;
  objectsDone: number;
  objectsFailed: number;
  bytesTotal: number;
  bytesDone: number;
}

/**
 * The end of a shared run (work sharing): the holder listed every object it counted, but helpers
 * fetched some of them and committed their results as rows. Failures and objects left open (the
 * claims stop when the listing fails) are counted from the run's rows; every other listed object is
 * done. Returns the first failure (`key: error`) when there is one.
 */
export async function countSharedResults(orm: Orm, jobId: string, runId: number, counters: RunCounters): Promise<string | null> {
  const em = orm.em.fork();
  // By job first: the (job_id, status, id) index; run_id alone is indexed only for open rows.
  const failed = await em.find(SyncObject, { jobId, status: 'FAILED', runId }, { fields: ['key', 'size', 'error'], orderBy: { id: 'asc' } });
  const knex = em.getKnex();
  const [open] = (await knex('sync_objects')
    .where({ job_id: jobId, run_id: runId })
    .whereIn('status', ['PENDING', 'PROCESSING'])
    .select(knex.raw('count(*) as objects'), knex.raw('coalesce(sum(size), 0) as bytes'))) as Array<{ objects: string | number; bytes: string | number }>;
  const failedBytes = failed.reduce((sum, row) => sum + Number(row.size), 0);
  counters.objectsFailed = failed.length;
  counters.objectsDone = Math.max(0, counters.objectsTotal - failed.length - Number(open?.objects ?? 0));
  counters.bytesDone = Math.max(0, counters.bytesTotal - failedBytes - Number(open?.bytes ?? 0));
  return failed[0] ? `${failed[0].key}: ${failed[0].error ?? 'failed'}` : null;
}
