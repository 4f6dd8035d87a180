import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { driverLogTo } from '../../src/db/driver-log.js';
import { initOrm } from '../../src/db/orm.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { createFakeExecutor } from './fake-executor.js';
import { silentLogger } from './test-db.js';

const HOUR = 3_600_000;

// SQLite is a file in the process: it has no outage to ride out.
describe.skipIf(!onPostgres)('a scheduled run due while PostgreSQL is down', () => {
  it('starts once the database is back, for the due time it missed, instead of being skipped until the next one', async () => {
    await using relay = await startRelayedPostgres();
    const orm = await initOrm(relay.dbUrl, driverLogTo(silentLogger));
    const clock = { t: Date.now() };
    const fake = createFakeExecutor(orm, { auto: 'SUCCEEDED' });
    // The test steps the loop itself with its fake clock.
    const runner = createJobRunner({ orm, execute: fake.execute, logger: silentLogger, now: () => new Date(clock.t), tickMs: HOUR });
    const services = createServices({ orm, runner, defaultPageSize: 100 });
    try {
      await runner.start();
      const job = await services.jobs.create({ name: 'hourly', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a', prefix: 'data/' } });
      await waitFor(async () => (await orm.em.fork().findOneOrFail(Job, { id: job.id })).status === 'SCHEDULED', 5000, 'first run done');
      const dueAt = job.nextRunAt!.getTime();

      await relay.cut();
      clock.t = dueAt + 5;
      await expect(runner.tick()).rejects.toThrow();
      expect(fake.calls).toHaveLength(1);

      await relay.mend();
      clock.t = dueAt + 60_000;
      await waitFor(async () => {
        await runner.tick().catch(() => undefined);
        return fake.calls.length === 2;
      }, 10_000, 'the missed run started');
      const runs = await orm.em.fork().find(SyncRun, { jobId: job.id }, { orderBy: { id: 'asc' } });
      expect(runs.map((r) => r.trigger)).toEqual(['CREATED', 'SCHEDULE']);
      expect(runs[1]?.scheduledFor?.getTime()).toBe(dueAt);
      expect((await orm.em.fork().findOneOrFail(Job, { id: job.id })).nextRunAt?.getTime()).toBe(dueAt + HOUR);
    } finally {
      await runner.stop();
      await orm.close(true);
    }
  });
});
