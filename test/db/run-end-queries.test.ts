import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { isPostgres } from '../../src/db/orm.js';
import { createObjectClaims } from '../../src/sync/multi/object-claims.js';
import { countSharedResults } from '../../src/sync/multi/shared-run.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * At the end of every run of a job (work sharing is on by default on PostgreSQL) the run counts its
 * failures and hands back its claims. Filtered by `run_id` alone, each statement read every job's
 * object rows (2M rows: 120 ms + 235 ms of PostgreSQL per run end of a 4-object job): each must be
 * bounded by the run's job, an indexed column.
 */
it("a run's end reads its own job's object rows through an index, not every job's", async () => {
  const db = await openTestDb();
  cleanups.push(() => db[Symbol.asyncDispose]());
  const { orm } = db;
  const jobId = randomUUID();
  await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'job', connectorType: 'S3', bucketName: 'bucket', schedule: 'hourly' }));

  const statements: Array<{ sql: string; bindings: unknown[] }> = [];
  const knex = orm.em.getKnex();
  const onQuery = (q: { sql: string; bindings?: unknown[] }) => {
    if (/sync_objects/.test(q.sql)) statements.push({ sql: q.sql, bindings: q.bindings ?? [] });
  };
  knex.on('query', onQuery);
  try {
    await countSharedResults(orm, jobId, 1, { objectsTotal: 0, objectsDone: 0, objectsFailed: 0, bytesTotal: 0, bytesDone: 0 });
    await createObjectClaims({ orm, jobId, runId: 1, instanceId: 'test', ttlMs: 30_000, logger: silentLogger }).releaseAll();
  } finally {
    knex.removeListener('query', onQuery);
  }

  expect(statements.length).toBeGreaterThanOrEqual(2);
  for (const { sql, bindings } of statements) {
    expect(sql, 'each run-end statement on sync_objects names the job').toMatch(/job_id/);
    if (!isPostgres(orm)) {
      const plan = (await knex.raw(`explain query plan ${sql}`, bindings as never)) as Array<{ detail: string }>;
      const details = plan.map((row) => row.detail).join('; ');
      expect(details, sql).not.toMatch(/^SCAN sync_objects|; SCAN sync_objects/);
    }
  }
});
