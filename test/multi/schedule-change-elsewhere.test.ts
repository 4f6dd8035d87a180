import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb } from '../scheduler/test-db.js';
import { startSchedulerInstance } from './scheduler-instance.js';

const MINUTE = 60_000;

describe('a schedule changed through another instance', () => {
  it('is not fired at its old due time by the other instance, which plans the new one', async () => {
    await using db = await openTestDb();
    const hour = Date.parse('2026-11-29T10:00:00.000Z');
    await using a = await startSchedulerInstance(db.orm, 'a', hour - 5 * MINUTE);
    const services = createServices({ orm: db.orm, runner: a.runner, defaultPageSize: 100 });
    const job = await services.jobs.create({ name: 'on the hour', connectorType: 'S3', schedule: '0 * * * *', connectorConfig: { bucketName: 'bucket-a' } });
    await waitFor(() => !a.runner.isRunning(job.id));
    await using b = await startSchedulerInstance(await db.reopen(), 'b', hour - 5 * MINUTE);
    await b.runner.tick(); // b follows the jobs table (as every RUN_LEASE_TTL/3)

    // 20 s before the hour, the job moves to half past, through a.
    a.clock.t = b.clock.t = hour - 20_000;
    await services.lifecycle.update(job.id, { schedule: '30 * * * *' });

    // The hour: b's tick, which fires what is due before it next follows the jobs table.
    a.clock.t = b.clock.t = hour;
    await b.runner.tick();
    await waitFor(() => !b.runner.isRunning(job.id));
    const runs = await db.orm.em.fork().find(SyncRun, { jobId: job.id }, { orderBy: { id: 'asc' } });
    expect(runs.map((r) => r.trigger)).toEqual(['CREATED']);
    const row = await db.orm.em.fork().findOneOrFail(Job, { id: job.id });
    expect(row.nextRunAt).toEqual(new Date(hour + 30 * MINUTE));
  });
});
