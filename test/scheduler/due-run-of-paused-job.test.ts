import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { recordDueRun } from '../../src/scheduler/due-runs.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const lease = { instanceId: 'a', leaseOwner: 'a', leaseExpiresAt: new Date(Date.now() + 60_000) };

/**
 * A tick reads the job's row, then records its due time's run: a pause landing between the two
 * (through any instance) must leave no scheduled run behind, while a manual trigger still runs a paused job.
 */
describe('recording a due time of a job paused after the tick read its row', () => {
  it('records no scheduled run, and a manual trigger still starts one', async () => {
    await using db = await openTestDb();
    const fake = createFakeExecutor(db.orm);
    await using runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: 3_600_000 });
    const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
    const job = await services.jobs.create({ name: 'paused', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'bucket-a' } });
    const at = new Date('2026-11-29T10:00:00.000Z');

    for (const trigger of ['SCHEDULE', 'CATCH_UP'] as const) {
      const outcome = await recordDueRun(db.orm, { jobId: job.id, trigger, scheduledFor: at, startedAt: at, lease });
      expect(outcome.kind).toBe('paused');
    }
    expect(await db.orm.em.fork().count(SyncRun, { jobId: job.id })).toBe(0);

    const manual = await recordDueRun(db.orm, { jobId: job.id, trigger: 'MANUAL', scheduledFor: at, startedAt: at, lease });
    expect(manual.kind).toBe('started');
    const rows = await db.orm.em.fork().find(SyncRun, { jobId: job.id });
    expect(rows.map((run) => [run.trigger, run.status])).toEqual([['MANUAL', 'RUNNING']]);
    expect((await db.orm.em.fork().findOneOrFail(Job, { id: job.id })).status).toBe('PAUSED');
  });

  it('records a scheduled run of a job that is not paused, with its id', async () => {
    await using db = await openTestDb();
    const fake = createFakeExecutor(db.orm);
    await using runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: 3_600_000 });
    const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
    const job = await services.jobs.create({ name: 'active', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'bucket-a' } });
    await db.orm.em.fork().nativeUpdate(Job, { id: job.id }, { status: 'SCHEDULED' });
    const at = new Date('2026-11-29T10:00:00.000Z');

    const outcome = await recordDueRun(db.orm, { jobId: job.id, trigger: 'SCHEDULE', scheduledFor: at, startedAt: at, lease });
    expect(outcome.kind).toBe('started');
    const rows = await db.orm.em.fork().find(SyncRun, { jobId: job.id });
    expect(rows.map((run) => [run.id, run.trigger, run.status, run.scheduledFor?.toISOString()])).toEqual([
      [outcome.kind === 'started' ? outcome.run.id : -1, 'SCHEDULE', 'RUNNING', at.toISOString()],
    ]);
  });
});
