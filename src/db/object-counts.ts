import type { ObjectStatus } from './entities/statuses.js';
import { isPostgres, type Orm } from './orm.js';

/** Delta rows of one job (PostgreSQL) beyond one per (status, id block) past which a read folds them. */
const FOLD_AFTER_ROWS = 200;

/** How many of a job's objects in one status have ids in one block (`id_block = id / OBJECT_COUNT_BLOCK`). */
export interface BlockCount {
  status: ObjectStatus;
  block: number;
  n: number;
}

/**
 * A job's object counts per status and id block (empty ones left out), in block order, read from
 * `object_counts` (kept by the triggers of migration Migration20261201100000 in the same
 * transaction as the rows) rather than counted.
 */
export async function readBlockCounts(orm: Orm, jobId: string): Promise<BlockCount[]> {
  const knex = orm.em.getKnex();
  const rows = (await knex('object_counts')
    .where({ job_id: jobId })
    .groupBy('status', 'id_block')
    .orderBy('id_block')
    .select('status', 'id_block', knex.raw('sum(n) as n'), knex.raw('count(*) as deltas'))) as Array<{
    status: ObjectStatus;
    id_block: string | number;
    n: string | number;
    deltas: string | number;
  }>;
  const deltas = rows.reduce((sum, row) => sum + Number(row.deltas), 0);
  if (isPostgres(orm) && deltas - rows.length > FOLD_AFTER_ROWS) await fold(orm, jobId);
  return rows.filter((row) => Number(row.n) !== 0).map((row) => ({ status: row.status, block: Number(row.id_block), n: Number(row.n) }));
}

/** A job's object count per status (statuses it has none of left out). */
export async function readObjectCounts(orm: Orm, jobId: string): Promise<Map<ObjectStatus, number>> {
  const counts = new Map<ObjectStatus, number>();
  for (const { status, n } of await readBlockCounts(orm, jobId)) counts.set(status, (counts.get(status) ?? 0) + n);
  for (const [status, n] of counts) if (n === 0) counts.delete(status);
  return counts;
}

/** The count of a job's objects, or of those in one status. */
export async function countObjects(orm: Orm, jobId: string, status?: ObjectStatus | null): Promise<number> {
  const counts = await readObjectCounts(orm, jobId);
  if (status) return counts.get(status) ?? 0;
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

/** Folds the deltas of every job with more than FOLD_AFTER_ROWS unfolded ones (PostgreSQL; a no-op on SQLite). */
export async function foldObjectCounts(orm: Orm): Promise<number> {
  if (!isPostgres(orm)) return 0;
  const knex = orm.em.getKnex();
  const jobs = (await knex('object_counts')
    .groupBy('job_id')
    .havingRaw('count(*) - count(distinct (status, id_block)) > ?', [FOLD_AFTER_ROWS])
    .select('job_id')) as Array<{ job_id: string }>;
  for (const { job_id: jobId } of jobs) await fold(orm, jobId);
  return jobs.length;
}

/**
 * PostgreSQL's triggers append one delta row per statement and (status, id block): replaces a job's
 * rows by their sums in one statement. Deltas committed meanwhile are not deleted (not in the
 * statement's snapshot) and two folds at once each delete distinct rows, so the sums never change.
 */
async function fold(orm: Orm, jobId: string): Promise<void> {
  await orm.em.getConnection().execute(
    `with folded as (delete from object_counts where job_id = ? returning status, id_block, n)
     insert into object_counts (job_id, status, id_block, n)
       select ?, status, id_block, sum(n) from folded group by status, id_block having sum(n) <> 0`,
    [jobId, jobId],
    'run',
  );
}
