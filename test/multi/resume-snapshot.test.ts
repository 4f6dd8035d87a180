import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';

/**
 * Resume decides RUNNING inside its UPDATE (`case when exists (RUNNING run)`), but on PostgreSQL
 * (READ COMMITTED) that subquery reads the statement's snapshot. When the UPDATE has to wait for
 * the job row (any other writer or locker of the row at that moment; here a held row lock makes
 * the moment wide), a run that ends meanwhile finds the job still PAUSED, leaves its status alone,
 * and the resume then writes RUNNING from its older snapshot: the job stays RUNNING with no run.
 * Seen as 2 jobs RUNNING with no run after a 2-minute storm of 3 instances.
 */
describe('resume racing the end of the paused job\'s manual run', () => {
  it('does not leave the job RUNNING with no run', { timeout: 30_000 }, async () => {
    await using db = await openTestDb();
    const fake = createFakeExecutor(db.orm);
    const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: 3_600_000, instanceId: 'a', leaseTtlMs: 3000 });
    await runner.start();
    const other = await db.reopen();
    const knex = other.em.getKnex();
    try {
      const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
      const job = await services.jobs.create({ name: 'resume race', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: 'bucket-a' } });
      // A manual run of the paused job (the job stays PAUSED).
      await services.lifecycle.trigger(job.id);
      await waitFor(() => fake.calls.length === 1, 5000, 'the run to start');

      // Another writer holds the job row for a moment.
      const tx = await knex.transaction();
      await tx.raw('select id from jobs where id = ? for update', [job.id]);
      const resumed = services.lifecycle.resume(job.id);
      await waitFor(async () => (await knex.raw(`select count(*)::int n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'update "jobs"%'`)).rows[0].n === 1, 5000, 'the resume to wait for the row');
      // The run ends meanwhile, recorded completely (the job is still PAUSED: its status is left alone).
      await fake.calls[0]!.finish('SUCCEEDED');
      await waitFor(() => !runner.isRunning(job.id), 5000, 'the run end to be recorded');
      await tx.commit();
      await resumed;

      expect(await db.orm.em.fork().count(SyncRun, { jobId: job.id, status: 'RUNNING' })).toBe(0);
      // HEAD: RUNNING, and it stays so until some later run of the job ends.
      expect((await db.orm.em.fork().findOneOrFail(Job, { id: job.id })).status).toBe('SCHEDULED');
    } finally {
      await runner.stop();
    }
  });
});
