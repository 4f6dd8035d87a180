import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import type { ObjectStatus } from '../../src/db/entities/statuses.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { deleteJobs, OBJECT_DELETE_BATCH } from '../../src/db/job-deletion.js';
import { readObjectCounts } from '../../src/db/object-counts.js';
import { isPostgres, type Orm } from '../../src/db/orm.js';
import { insertInterleavedObjects } from '../helpers/bulk-objects.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb } from '../scheduler/test-db.js';
import { startSyncFixture } from './sync-fixture.js';
import { turnsDuring } from '../helpers/event-loop.js';

/** Two jobs whose object rows interleave: `count` rows, two thirds of them the first job's. */
async function twoJobsWithObjects(orm: Orm, count: number): Promise<{ jobId: string; otherJobId: string }> {
  const [jobId, otherJobId] = [randomUUID(), randomUUID()];
  const em = orm.em.fork();
  for (const id of [jobId, otherJobId]) em.persist(new Job({ id, name: id.slice(0, 8), connectorType: 'S3', bucketName: 'bucket', schedule: 'hourly' }));
  await em.flush();
  await insertInterleavedObjects(orm, { count, jobId, otherJobId });
  return { jobId, otherJobId };
}

/** A job's object count per status, counted over its rows. */
async function realCounts(orm: Orm, jobId: string): Promise<Map<ObjectStatus, number>> {
  const rows = (await orm.em.getKnex()('sync_objects').where('job_id', jobId).groupBy('status').select('status', orm.em.getKnex().raw('count(*) as n'))) as Array<{
    status: ObjectStatus;
    n: string | number;
  }>;
  return new Map(rows.map(({ status, n }) => [status, Number(n)]));
}

/** Every delete of the object row `id` fails until the returned function is called: a process dying there. */
async function dieAtObjectDelete(orm: Orm, id: number): Promise<() => Promise<void>> {
  const connection = orm.em.getConnection();
  await connection.execute(
    isPostgres(orm)
      ? `create function zz_die() returns trigger language plpgsql as $$ begin raise exception 'process died'; end $$; create trigger zz_die before delete on sync_objects for each row when (old.id = ${id}) execute function zz_die()`
      : `create trigger zz_die before delete on sync_objects when old.id = ${id} begin select raise(abort, 'process died'); end`,
  );
  return async () => {
    await connection.execute(isPostgres(orm) ? 'drop trigger zz_die on sync_objects; drop function zz_die' : 'drop trigger zz_die');
  };
}

describe('deleting a job with many object rows', () => {
  /**
   * Scale review: one cascading `DELETE FROM jobs` held SQLite's (synchronous) connection, and with it
   * the event loop serving the API, the scheduler and the subscriptions, for the whole delete, row
   * triggers included: 3.3 s for a job with 1M object rows.
   */
  test('lets the event loop run while its rows go', async () => {
    await using db = await openTestDb();
    const { orm } = db;
    const { jobId } = await twoJobsWithObjects(orm, 45_000);
    const rows = await orm.em.fork().count(SyncObject, { jobId });
    expect(rows).toBe(30_000);

    const turns = await turnsDuring(async () => expect(await deleteJobs(orm, [jobId])).toBe(1));

    expect(await orm.em.fork().count(SyncObject, { jobId })).toBe(0);
    // At least one turn of the event loop per 5,000 rows removed.
    expect(turns).toBeGreaterThanOrEqual(rows / 5000);
  });

  test('stopped part-way, it leaves the job with exact object counts, and the next delete finishes it', async () => {
    await using db = await openTestDb();
    const { orm } = db;
    const { jobId, otherJobId } = await twoJobsWithObjects(orm, 30_000);
    const ids = (await orm.em.fork().find(SyncObject, { jobId }, { fields: ['id'], orderBy: { id: 'asc' } })).map((row) => row.id);
    const otherCounts = await realCounts(orm, otherJobId);

    const revive = await dieAtObjectDelete(orm, ids[3 * OBJECT_DELETE_BATCH + 10]!);
    await expect(deleteJobs(orm, [jobId])).rejects.toThrow(/process died/);
    expect(await orm.em.fork().count(Job, { id: jobId })).toBe(1);
    const left = await orm.em.fork().count(SyncObject, { jobId });
    // SQLite had committed the batches before the failing one; PostgreSQL's one statement rolled back.
    expect(left).toBe(isPostgres(orm) ? ids.length : ids.length - 3 * OBJECT_DELETE_BATCH);
    expect(await readObjectCounts(orm, jobId)).toEqual(await realCounts(orm, jobId));

    await revive();
    expect(await deleteJobs(orm, [jobId])).toBe(1);
    expect(await orm.em.fork().count(SyncObject, { jobId })).toBe(0);
    expect(await readObjectCounts(orm, jobId)).toEqual(new Map());
    expect(await readObjectCounts(orm, otherJobId)).toEqual(otherCounts);
    expect(await realCounts(orm, otherJobId)).toEqual(otherCounts);
  });
});

describe('deleting a job while another transaction updates its object rows', () => {
  test.skipIf(!onPostgres)('a delete chosen as the deadlock victim goes again and removes every row', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([
      ['a.txt', 'first'],
      ['b.txt', 'second'],
    ]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    const [first, second] = (await f.orm.em.fork().find(SyncObject, { jobId: f.jobId }, { orderBy: { id: 'asc' } })).map((row) => row.id);

    // Another writer (a run on another instance, say) holds the second row and will then want the first.
    const other = new pg.Client({ connectionString: f.config.dbUrl });
    await other.connect();
    try {
      await other.query('begin');
      // Its own deadlock check waits longer, so the delete's backend finds the cycle and is the victim.
      await other.query("set local deadlock_timeout = '10s'");
      await other.query('update sync_objects set error = $1 where id = $2', ['held', second]);

      const deletion = deleteJobs(f.orm, [f.jobId]);
      // Asked outside `other`'s transaction, which would keep seeing one snapshot of the statistics.
      await waitFor(async () => {
        const rows = (await f.orm.em.getConnection().execute("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'delete from%jobs%'")) as unknown[];
        return rows.length > 0;
      }, 10_000, 'the delete to wait for the held row');
      // The cycle: this update waits for the delete's lock on the first row; the delete is rolled back.
      const update = await other.query('update sync_objects set error = $1 where id = $2', ['held too', first]);
      expect(update.rowCount).toBe(1);
      await other.query('commit');

      await deletion;
    } finally {
      await other.end();
    }
    expect(await f.orm.em.fork().count(SyncObject, { jobId: f.jobId })).toBe(0);
  });
});
