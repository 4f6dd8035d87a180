import { afterEach, describe, expect, it, vi } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(auto: 'SUCCEEDED' | undefined, tickMs?: number) {
  const db = await openTestDb();
  const fake = createFakeExecutor(db.orm, { auto });
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs });
  cleanups.push(async () => {
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  return { orm: db.orm, fake, runner, services: createServices({ orm: db.orm, runner, defaultPageSize: 100, minScheduleIntervalMs: 0 }) };
}

describe('timer loop', () => {
  // The fake clock jumps hours in one call: it needs each tick to finish within the jump, which a
  // synchronous database (SQLite) does and a networked one cannot.
  it.skipIf(onPostgres)('fires an hourly job on the hour through the real toad-scheduler loop (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: new Date('2026-11-26T10:00:00Z') });
    const { orm, fake, services } = await setup('SUCCEEDED', 60_000);
    const job = await services.jobs.create({ name: 'hourly', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a' } });
    await vi.advanceTimersByTimeAsync(HOUR - 60_000);
    expect(fake.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    expect(fake.calls).toHaveLength(4);
    const runs = await orm.em.fork().find(SyncRun, { jobId: job.id }, { orderBy: { id: 'asc' } });
    expect(runs.map((r) => r.trigger)).toEqual(['CREATED', 'SCHEDULE', 'SCHEDULE', 'SCHEDULE']);
    expect(runs.map((r) => r.startedAt?.toISOString())).toEqual([
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T11:00:00.000Z',
      '2026-11-26T12:00:00.000Z',
      '2026-11-26T13:00:00.000Z',
    ]);
    expect((await orm.em.fork().findOneOrFail(Job, { id: job.id })).nextRunAt?.toISOString()).toBe('2026-11-26T14:00:00.000Z');
  });

  it('runs a six-field every-second cron for real, one run at a time, skipping ticks that overlap', async () => {
    const { orm, fake, runner, services } = await setup(undefined);
    const job = await services.jobs.create({ name: 'every-sec', connectorType: 'S3', schedule: '*/1 * * * * *', connectorConfig: { bucketName: 'bucket-a' } });
    const runs = () => orm.em.fork().find(SyncRun, { jobId: job.id }, { orderBy: { id: 'asc' } });
    // The first run is held open: the next ticks must be recorded SKIPPED.
    await waitFor(async () => (await runs()).some((r) => r.status === 'SKIPPED'), 5000, 'a skipped tick');
    await fake.calls[0]!.finish();
    await waitFor(() => fake.calls.length >= 2, 5000, 'a scheduled run');
    await fake.calls[1]!.finish();
    await runner.stop();
    const all = await runs();
    expect(all[0]).toMatchObject({ trigger: 'CREATED', status: 'SUCCEEDED' });
    expect(all.filter((r) => r.trigger === 'SCHEDULE' && r.status === 'SKIPPED').length).toBeGreaterThanOrEqual(1);
    expect(all.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(2);
    expect(fake.maxActive).toBe(1);
    // Stored next run time is on a whole second.
    const row = await orm.em.fork().findOneOrFail(Job, { id: job.id });
    expect(row.nextRunAt!.getTime() % 1000).toBe(0);
  });
});
