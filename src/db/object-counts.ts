import type { ObjectStatus } from './entities/statuses.js';
import { isPostgres, type Orm } from './orm.js';

/** Delta rows of one job (PostgreSQL) past which a read folds them into one row per status. */
const FOLD_AFTER_ROWS = 200;

/**
 * A job's object count per status (statuses it has none of left out), read from `object_counts` (kept by the triggers of migration
 * Migration20261130200000 in the same transaction as the rows) rather than counted.
 */
export async function readObjectCounts(orm: Orm, jobId: string): Promise<Map<ObjectStatus, number>> {
  const knex = orm.em.getKnex();
  const rows = (await knex('object_counts')
    .where({ job_id: jobId })
    .groupBy('status')
    .select('status', knex.raw('sum(n) as n'), knex.raw('count(*) as deltas'))) as Array<{ status: ObjectStatus; n: string | number; deltas: string | number }>;
  if (isPostgres(orm) && rows.reduce((sum, row) => sum + Number(row.deltas), 0) > FOLD_AFTER_ROWS) await fold(orm, jobId);
  return new Map(rows.filter((row) => Number(row.n) !== 0).map((row) => [row.status, Number(row.n)]));
}

/** The count of a job's objects, or of those in one status. */
export async function countObjects(orm: Orm, jobId: string, status?: ObjectStatus | null): Promise<number> {
  const counts = await readObjectCounts(orm, jobId);
  if (status) return counts.get(status) ?? 0;
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

/** Folds the deltas of every job that has more than FOLD_AFTER_ROWS of them (PostgreSQL; a no-op on SQLite). */
export async function foldObjectCounts(orm: Orm): Promise<number> {
  if (!isPostgres(orm)) return 0;
  const knex = orm.em.getKnex();
  const jobs = (await knex('object_counts').groupBy('job_id').havingRaw('count(*) > ?', [FOLD_AFTER_ROWS]).select('job_id')) as Array<{ job_id: string }>;
  for (const { job_id: jobId } of jobs) await fold(orm, jobId);
  return jobs.length;
}

/**
 * PostgreSQL's triggers append one delta row per statement: replaces a job's rows by their sums in
 * one statement. Deltas committed meanwhile are not deleted (not in the statement's snapshot) and
 * two folds at once each delete distinct rows, so the sums never change.
 */
async function fold(orm: Orm, jobId: string): Promise<void> {
  await orm.em.getConnection().execute(
    `with folded as (delete from object_counts where job_id = ? returning status, n)
     insert into object_counts (job_id, status, n) select ?, status, sum(n) from folded group by status having sum(n) <> 0`,
    [jobId, jobId],
    'run',
  );
}
