import { isPostgres, type Orm } from '../../src/db/orm.js';

/**
 * Inserts `count` sync_objects rows in one INSERT … SELECT over a recursive CTE, ids consecutive
 * from the next one: the row with id `i` belongs to `otherJobId` when `i % 3 = 2` (so the job's ids
 * are not contiguous), otherwise to `jobId`, and is FAILED when `i % 7 = 0`, otherwise PROCESSED.
 * Keys are `k/<id>`. The maintained counts are updated by the triggers as for any insert.
 */
export async function insertInterleavedObjects(orm: Orm, { count, jobId, otherJobId }: { count: number; jobId: string; otherJobId: string }): Promise<void> {
  const connection = orm.em.getConnection();
  const [{ base }] = (await connection.execute('select coalesce(max(id), 0) as base from sync_objects')) as [{ base: string | number }];
  const now = isPostgres(orm) ? new Date() : Date.now();
  await connection.execute(
    `with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ?)
     insert into sync_objects (job_id, object_key, size, last_position, status, created_at, updated_at)
     select case when (? + n) % 3 = 2 then ? else ? end, 'k/' || cast(? + n as text), 1, 0,
            case when (? + n) % 7 = 0 then 'FAILED' else 'PROCESSED' end, ?, ?
     from seq order by n`,
    [count, Number(base), otherJobId, jobId, Number(base), Number(base), now, now],
    'run',
  );
}
