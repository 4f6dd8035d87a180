import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { createServices } from '../../src/services/services.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb } from '../scheduler/test-db.js';
import { startSchedulerInstance } from './scheduler-instance.js';

const HOUR = 3_600_000;
const input = { name: 'first run once', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a' } };

const runsOf = async (orm: Orm, jobId: string) =>
  (await orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } })).map((r) => ({ trigger: r.trigger, status: r.status, instanceId: r.instanceId }));

/**
 * Instance a creates a job while instance b ticks on the same database. Between the job row's commit
 * (its first run owed) and a's record of that run, b follows the jobs table and finds the run owed too.
 */
async function createWithOtherInstanceInBetween(bTicksInBetween: number) {
  const db = await openTestDb();
  const t = Date.now();
  const a = await startSchedulerInstance(db.orm, 'a', t);
  const b = await startSchedulerInstance(await db.reopen(), 'b', t);
  afterFlushOf(db.orm, (set) => set.type === 'create' && set.entity instanceof Job, async () => {
    for (let tick = 0; tick < bTicksInBetween; tick++) await b.runner.tick();
  });
  const services = createServices({ orm: db.orm, runner: a.runner, defaultPageSize: 100 });
  const job = await services.jobs.create(input);
  return {
    db,
    a,
    b,
    job,
    async [Symbol.asyncDispose]() {
      await a.runner.stop();
      await b.runner.stop();
      await db[Symbol.asyncDispose]();
    },
  };
}

describe("a new job's first run, with another instance ticking on the same database", () => {
  it('runs once when the creating instance records it first; the other finds that due time taken', async () => {
    // b's first tick follows the jobs table: the first run is due there at its next tick.
    await using s = await createWithOtherInstanceInBetween(1);
    await waitFor(async () => (await runsOf(s.db.orm, s.job.id)).some((r) => r.status === 'SUCCEEDED'));
    await s.b.runner.tick();
    await s.a.runner.tick();
    await waitFor(() => !s.a.runner.isRunning(s.job.id) && !s.b.runner.isRunning(s.job.id));

    expect(await runsOf(s.db.orm, s.job.id)).toEqual([{ trigger: 'CREATED', status: 'SUCCEEDED', instanceId: 'a' }]);
    const row = await s.db.orm.em.fork().findOneOrFail(Job, { id: s.job.id });
    expect(row.nextRunAt).toEqual(new Date(s.job.createdAt.getTime() + HOUR));
  });

  it('runs once when the other instance records it first; the creating one finds it taken, and its create still answers with the job', async () => {
    await using s = await createWithOtherInstanceInBetween(2);
    await waitFor(async () => (await runsOf(s.db.orm, s.job.id)).some((r) => r.status === 'SUCCEEDED'));
    await s.a.runner.tick();
    await s.b.runner.tick();
    await waitFor(() => !s.a.runner.isRunning(s.job.id) && !s.b.runner.isRunning(s.job.id));

    expect(s.job.name).toBe(input.name);
    expect(await runsOf(s.db.orm, s.job.id)).toEqual([{ trigger: 'CREATED', status: 'SUCCEEDED', instanceId: 'b' }]);
    const row = await s.db.orm.em.fork().findOneOrFail(Job, { id: s.job.id });
    expect(row.nextRunAt).toEqual(new Date(s.job.createdAt.getTime() + HOUR));
  });
});
