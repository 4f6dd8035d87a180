import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { OBJECT_COUNT_BLOCK } from '../../src/db/object-count-block.js';
import { foldObjectCounts } from '../../src/db/object-counts.js';
import type { Orm } from '../../src/db/orm.js';
import { createObjectService } from '../../src/services/object-service.js';
import { insertInterleavedObjects } from '../helpers/bulk-objects.js';
import { startSyncFixture } from './sync-fixture.js';

const ROWS = 60_000;
const LIMIT = 7;

/** The page as the plain offset query gives it: the job's ids (in one status) in id order. */
async function plainPage(orm: Orm, jobId: string, status: string | null, limit: number, offset: number): Promise<number[]> {
  const query = orm.em.getKnex()('sync_objects').where({ job_id: jobId }).orderBy('id').limit(limit).offset(offset).select('id');
  if (status) query.andWhere({ status });
  return ((await query) as Array<{ id: string | number }>).map((row) => Number(row.id));
}

async function plainCount(orm: Orm, jobId: string, status: string | null, belowId = Number.MAX_SAFE_INTEGER): Promise<number> {
  const query = orm.em.getKnex()('sync_objects').where({ job_id: jobId }).andWhere('id', '<', belowId).count({ n: '*' });
  if (status) query.andWhere({ status });
  return Number(((await query) as Array<{ n: string | number }>)[0]!.n);
}

/**
 * Offsets worth checking: the first rows, each id block's first row of the job and its neighbours
 * (a page ending exactly at a block's last row, pages straddling the boundary), block interiors,
 * the last page and past the end.
 */
async function offsetsToCheck(orm: Orm, jobId: string, status: string | null): Promise<number[]> {
  const total = await plainCount(orm, jobId, status);
  const offsets = new Set([0, 1, 2, total - LIMIT, total - 3, total - 1, total, total + 1, total + 5_000]);
  for (let block = 1; block * OBJECT_COUNT_BLOCK < ROWS + OBJECT_COUNT_BLOCK; block += 1) {
    const before = await plainCount(orm, jobId, status, block * OBJECT_COUNT_BLOCK);
    for (const offset of [before - LIMIT, before - LIMIT + 1, before - 1, before, before + 1, before + 4_321]) offsets.add(offset);
  }
  return [...offsets].filter((offset) => offset >= 0).sort((a, b) => a - b);
}

async function expectPagesEqualPlain(orm: Orm, jobId: string, status: string | null): Promise<void> {
  const objects = createObjectService({ orm, defaultPageSize: 10 });
  const total = await plainCount(orm, jobId, status);
  for (const offset of await offsetsToCheck(orm, jobId, status)) {
    const page = await objects.listByOffset(jobId, LIMIT, offset, { status: status as never });
    expect({ offset, total: page.totalCount, ids: page.nodes.map((node) => Number(node.id)) }).toEqual({
      offset,
      total,
      ids: await plainPage(orm, jobId, status, LIMIT, offset),
    });
  }
}

describe('offset pages answered from the counts per id block', () => {
  test('equal the plain limit/offset query through inserts, status changes, deletes and a job delete', async () => {
    await using f = await startSyncFixture();
    const otherJobId = crypto.randomUUID();
    await f.orm.em.fork().persistAndFlush(new Job({ id: otherJobId, name: 'other', connectorType: 'S3', bucketName: f.s3.bucket, prefix: '', schedule: 'hourly' }));
    await insertInterleavedObjects(f.orm, { count: ROWS, jobId: f.jobId, otherJobId });
    // The premise of the boundary offsets: the job owns the first id of a block and the last of the one before.
    const owned = await f.orm.em.getKnex()('sync_objects').whereIn('id', [OBJECT_COUNT_BLOCK - 1, OBJECT_COUNT_BLOCK]).select('job_id');
    expect(owned.map((row: { job_id: string }) => row.job_id)).toEqual([f.jobId, f.jobId]);
    expect(await plainCount(f.orm, otherJobId, null)).toBeGreaterThan(ROWS / 4);
    const check = async () => {
      for (const status of [null, 'FAILED', 'PROCESSED', 'SKIPPED']) await expectPagesEqualPlain(f.orm, f.jobId, status);
    };
    await check();

    const knex = f.orm.em.getKnex();
    await knex('sync_objects').where({ job_id: f.jobId }).andWhereRaw('id % 11 = 0').update({ status: 'SKIPPED' });
    await knex('sync_objects').where({ job_id: f.jobId, status: 'FAILED' }).andWhere('id', '<', OBJECT_COUNT_BLOCK * 2).update({ status: 'PROCESSED' });
    await knex('sync_objects').where({ job_id: f.jobId }).andWhereBetween('id', [OBJECT_COUNT_BLOCK - 500, OBJECT_COUNT_BLOCK + 300]).delete();
    await knex('sync_objects').where({ job_id: f.jobId }).andWhere('id', '>=', OBJECT_COUNT_BLOCK * 3).andWhereRaw('id % 5 = 1').delete();
    await check();
    await foldObjectCounts(f.orm);
    await check();

    await f.orm.em.fork().nativeDelete(Job, { id: f.jobId });
    expect(await knex('object_counts').where({ job_id: f.jobId }).select('status')).toEqual([]);
    await expectPagesEqualPlain(f.orm, otherJobId, null);
  });

  test('a block the job has no rows in any more is skipped', async () => {
    await using f = await startSyncFixture();
    const otherJobId = crypto.randomUUID();
    await f.orm.em.fork().persistAndFlush(new Job({ id: otherJobId, name: 'other', connectorType: 'S3', bucketName: f.s3.bucket, prefix: '', schedule: 'hourly' }));
    await insertInterleavedObjects(f.orm, { count: ROWS, jobId: f.jobId, otherJobId });
    const knex = f.orm.em.getKnex();
    await knex('sync_objects').where({ job_id: f.jobId }).andWhereBetween('id', [OBJECT_COUNT_BLOCK, OBJECT_COUNT_BLOCK * 2 - 1]).delete();
    await expectPagesEqualPlain(f.orm, f.jobId, null);
    await expectPagesEqualPlain(f.orm, f.jobId, 'FAILED');
  });
});
