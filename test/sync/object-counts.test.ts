import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { OBJECT_COUNT_BLOCK } from '../../src/db/object-count-block.js';
import { foldObjectCounts, readObjectCounts } from '../../src/db/object-counts.js';
import type { Orm } from '../../src/db/orm.js';
import { createObjectService } from '../../src/services/object-service.js';
import { seededBytes } from '../helpers/files.js';
import { onPostgres } from '../helpers/db-url.js';
import { startSyncFixture } from './sync-fixture.js';

/** The job's rows counted by status with count(*), as the maintained counts must say. */
async function countedByStatus(orm: Orm, jobId: string): Promise<Record<string, number>> {
  const rows = (await orm.em.getKnex()('sync_objects').where({ job_id: jobId }).groupBy('status').select('status', orm.em.getKnex().raw('count(*) as n'))) as Array<{
    status: string;
    n: string | number;
  }>;
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

async function maintained(orm: Orm, jobId: string): Promise<Record<string, number>> {
  return Object.fromEntries([...(await readObjectCounts(orm, jobId))].filter(([, n]) => n !== 0));
}

/** The objects API's totals (GraphQL connection and REST page), unfiltered and for each status. */
async function apiTotals(orm: Orm, jobId: string, statuses: string[]) {
  const objects = createObjectService({ orm, defaultPageSize: 10 });
  const byStatus: Record<string, number> = {};
  for (const status of statuses) byStatus[status] = (await objects.list(jobId, { status: status as never })).totalCount;
  return { graphql: (await objects.list(jobId)).totalCount, rest: (await objects.listByOffset(jobId, 5, 2)).totalCount, byStatus };
}

describe('object counts kept per job and status', () => {
  test('stay equal to count(*) through runs with every status, a rerun and a job delete', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([
      ['a.txt', seededBytes(100, 1)],
      ['b.txt', seededBytes(200, 2)],
      ['c.txt', seededBytes(300, 3)],
      ['empty', Buffer.alloc(0)],
      ['drop/y.txt', seededBytes(50, 4)],
      ['b/..\\..\\escape.txt', 'refused by the sync'],
    ]);
    const check = async (expected: Record<string, number>) => {
      const counted = await countedByStatus(f.orm, f.jobId);
      expect(counted).toEqual(expected);
      expect(await maintained(f.orm, f.jobId)).toEqual(counted);
      const total = Object.values(expected).reduce((sum, n) => sum + n, 0);
      expect(await apiTotals(f.orm, f.jobId, Object.keys(expected))).toEqual({ graphql: total, rest: total, byStatus: expected });
    };

    expect((await f.sync()).status).toBe('FAILED');
    await check({ PROCESSED: 4, SKIPPED: 1, FAILED: 1 });

    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { excludePatterns: ['drop/**'] });
    expect((await f.sync()).status).toBe('FAILED');
    await check({ PROCESSED: 3, SKIPPED: 1, FAILED: 1, EXCLUDED: 1 });

    // Mirror deletes: the object gone from the bucket and the excluded one are deleted locally.
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
    await f.s3.deleteObject('b.txt');
    expect((await f.sync()).status).toBe('FAILED');
    await check({ PROCESSED: 2, SKIPPED: 1, FAILED: 1, DELETED: 2 });

    expect((await f.sync()).status).toBe('FAILED');
    await check({ PROCESSED: 2, SKIPPED: 1, FAILED: 1, DELETED: 2 });

    await f.orm.em.fork().nativeDelete(Job, { id: f.jobId });
    expect(await countedByStatus(f.orm, f.jobId)).toEqual({});
    const left = (await f.orm.em.getKnex()('object_counts').where({ job_id: f.jobId }).select('status')) as unknown[];
    expect(left).toEqual([]);
  });

  test('many small status changes (one delta each on PostgreSQL, folded on read) keep the sums', async () => {
    await using f = await startSyncFixture();
    const now = new Date();
    await f.orm.em.fork().insertMany(
      SyncObject,
      Array.from({ length: 30 }, (_, i) => ({ jobId: f.jobId, key: `k${i}`, size: 1, etag: null, lastPosition: 0, status: 'PENDING' as const, createdAt: now, updatedAt: now })),
    );
    for (let round = 0; round < 300; round += 1) {
      const key = `k${round % 30}`;
      const status = (['PROCESSED', 'FAILED', 'PENDING', 'SKIPPED'] as const)[round % 4]!;
      await f.orm.em.fork().nativeUpdate(SyncObject, { jobId: f.jobId, key }, { status });
      if (round % 50 === 0) expect(await maintained(f.orm, f.jobId)).toEqual(await countedByStatus(f.orm, f.jobId));
      if (round % 7 === 0) await f.orm.em.fork().nativeDelete(SyncObject, { jobId: f.jobId, key: `k${round % 30}` });
      if (round % 7 === 0) await f.orm.em.fork().insertMany(SyncObject, [{ jobId: f.jobId, key: `k${round % 30}`, size: 1, etag: null, lastPosition: 0, status: 'PENDING' as const, createdAt: now, updatedAt: now }]);
    }
    // Folded without a read of the job (the service's timer), then by the read itself.
    await foldObjectCounts(f.orm);
    expect(await maintained(f.orm, f.jobId)).toEqual(await countedByStatus(f.orm, f.jobId));
    expect(await maintained(f.orm, f.jobId)).toEqual(await countedByStatus(f.orm, f.jobId));
    const deltas = (await f.orm.em.getKnex()('object_counts').where({ job_id: f.jobId }).count({ n: '*' })) as Array<{ n: string | number }>;
    expect(Number(deltas[0]!.n)).toBeLessThanOrEqual(4);
  });

  test('one statement that changes the status of some rows and not of others, then one that changes none, keep the sums', async () => {
    await using f = await startSyncFixture();
    const now = new Date();
    const statuses = ['PENDING', 'PROCESSED', 'FAILED'] as const;
    await f.orm.em.fork().insertMany(
      SyncObject,
      Array.from({ length: 90 }, (_, i) => ({ jobId: f.jobId, key: `k${i}`, size: 1, etag: null, lastPosition: 0, status: statuses[i % 3]!, createdAt: now, updatedAt: now })),
    );
    const knex = f.orm.em.getKnex();
    const deltaRows = async () => Number(((await knex('object_counts').where({ job_id: f.jobId }).count({ n: '*' })) as Array<{ n: string | number }>)[0]!.n);
    // PENDING rows become PROCESSED, PROCESSED rows are set to what they are, FAILED rows become PENDING.
    await knex('sync_objects')
      .where({ job_id: f.jobId })
      .update({ status: knex.raw(`case status when 'PENDING' then 'PROCESSED' when 'FAILED' then 'PENDING' else status end`), listed_run_id: 7 });
    expect(await countedByStatus(f.orm, f.jobId)).toEqual({ PROCESSED: 60, PENDING: 30 });
    expect(await maintained(f.orm, f.jobId)).toEqual({ PROCESSED: 60, PENDING: 30 });
    // A statement that changes no status (a run's listed marks, its claims) adds no count row.
    const before = await deltaRows();
    await knex('sync_objects').where({ job_id: f.jobId }).update({ listed_run_id: 8, claim_owner: 'someone' });
    expect(await deltaRows()).toBe(before);
    expect(await maintained(f.orm, f.jobId)).toEqual({ PROCESSED: 60, PENDING: 30 });
  });

  test.skipIf(!onPostgres)('a job with many id blocks is folded for its extra deltas, not for its block count', async () => {
    await using f = await startSyncFixture();
    const knex = f.orm.em.getKnex();
    const counterIds = async () => ((await knex('object_counts').where({ job_id: f.jobId }).orderBy('id').select('id')) as Array<{ id: string }>).map((row) => String(row.id));
    // 300 rows one block apart, inserted by one statement: one delta row per (status, block).
    const now = new Date();
    await f.orm.em.getConnection().execute(
      `with recursive seq(n) as (select 1 union all select n + 1 from seq where n < 300)
       insert into sync_objects (id, job_id, object_key, size, last_position, status, created_at, updated_at)
       select 1000000000 + n * ?, ?, 'k/' || cast(n as text), 1, 0, 'PENDING', ?, ? from seq`,
      [OBJECT_COUNT_BLOCK, f.jobId, now, now],
      'run',
    );
    const inserted = await counterIds();
    expect(inserted).toHaveLength(300);
    expect(await maintained(f.orm, f.jobId)).toEqual({ PENDING: 300 });
    // Read without a fold: the same delta rows (a fold replaces them by rows with new ids).
    expect(await counterIds()).toEqual(inserted);

    for (let n = 1; n <= 250; n += 1) await knex('sync_objects').where({ job_id: f.jobId, object_key: `k/${n}` }).update({ status: 'PROCESSED' });
    expect(await maintained(f.orm, f.jobId)).toEqual({ PENDING: 50, PROCESSED: 250 });
    // The read above saw 500 deltas more than groups and folded them: one row per (status, block).
    expect(await counterIds()).toHaveLength(300);
    expect(await maintained(f.orm, f.jobId)).toEqual(await countedByStatus(f.orm, f.jobId));
  });
});
