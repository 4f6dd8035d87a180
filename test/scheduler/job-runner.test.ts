import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;
const jobInput = (schedule = 'hourly', extra: Record<string, unknown> = {}) => ({
  name: 'nightly',
  connectorType: 'S3',
  schedule,
  connectorConfig: { bucketName: 'bucket-a', prefix: 'data/' },
  ...extra,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: Parameters<typeof createFakeExecutor>[1] = {}) {
  const db = await openTestDb();
  const clock = { t: Date.now() };
  const fake = createFakeExecutor(db.orm, options);
  // A tick period far beyond the test: the test steps the loop itself with its fake clock.
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, now: () => new Date(clock.t), tickMs: HOUR });
  const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
  cleanups.push(async () => {
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  return { ...db, clock, fake, runner, services };
}

const runsOf = (orm: Orm, jobId: string) => orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });
const jobRow = (orm: Orm, id: string) => orm.em.fork().findOneOrFail(Job, { id });

/**
 * A job whose first run is recorded SUCCEEDED (the API shows it) while the runner is still reporting
 * its end: the end-of-run hook waits until `releaseHook()`; `holdHook()` holds the next run's the same way.
 */
async function finishedRunStillReporting() {
  const db = await openTestDb();
  const fake = createFakeExecutor(db.orm);
  const releases: Array<() => void> = [];
  let hookHeld: Promise<void> = Promise.resolve();
  const holdHook = () => {
    hookHeld = new Promise<void>((resolve) => releases.push(resolve));
    return releases.at(-1)!;
  };
  const releaseHook = holdHook();
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: HOUR, onRunFinished: () => hookHeld });
  const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
  cleanups.push(async () => {
    for (const release of releases) release();
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  const job = await services.jobs.create(jobInput());
  await fake.calls[0]!.finish('SUCCEEDED');
  await waitFor(async () => (await runsOf(db.orm, job.id))[0]?.status === 'SUCCEEDED', 5000, 'the run recorded');
  expect(runner.isRunning(job.id)).toBe(true);
  return { orm: db.orm, fake, runner, services, job, releaseHook, holdHook };
}

describe('job runner', () => {
  it('runs a new job at once, then on its schedule from the stored next run time', async () => {
    const { orm, clock, fake, runner, services } = await setup();
    const job = await services.jobs.create(jobInput());
    expect(job.status).toBe('RUNNING');
    const created = job.createdAt.getTime();
    expect(job.nextRunAt?.getTime()).toBe(created + HOUR);
    expect(fake.calls).toHaveLength(1);
    expect((await runsOf(orm, job.id))[0]).toMatchObject({ trigger: 'CREATED', status: 'RUNNING' });

    await fake.calls[0]!.finish('SUCCEEDED');
    await waitFor(async () => (await jobRow(orm, job.id)).status === 'SCHEDULED', 5000, 'job SCHEDULED');
    expect(runner.isRunning(job.id)).toBe(false);

    clock.t = created + HOUR - 1000;
    await runner.tick();
    expect(fake.calls).toHaveLength(1);

    clock.t = created + HOUR + 5;
    await runner.tick();
    expect(fake.calls).toHaveLength(2);
    const runs = await runsOf(orm, job.id);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([
      ['CREATED', 'SUCCEEDED'],
      ['SCHEDULE', 'RUNNING'],
    ]);
    expect((await jobRow(orm, job.id)).nextRunAt?.getTime()).toBe(created + 2 * HOUR);
    await fake.calls[1]!.finish();
  });

  it('does not run a job created paused', async () => {
    const { orm, fake, services } = await setup();
    const job = await services.jobs.create(jobInput('daily', { paused: true }));
    expect(job.status).toBe('PAUSED');
    expect(fake.calls).toHaveLength(0);
    expect(await runsOf(orm, job.id)).toHaveLength(0);
  });

  it('records a SKIPPED run for a tick or a manual trigger while a run is going; never two at once', async () => {
    const { orm, clock, fake, runner, services } = await setup();
    const job = await services.jobs.create(jobInput('quinqueminutely'));
    clock.t = job.createdAt.getTime() + 5 * 60_000;
    // A tick and two manual triggers at the same moment.
    const [, a, b] = await Promise.all([runner.tick(), runner.trigger(job.id, 'MANUAL'), runner.trigger(job.id, 'MANUAL')]);
    expect([a.status, b.status]).toEqual(['SKIPPED', 'SKIPPED']);
    const runs = await runsOf(orm, job.id);
    expect(runs.filter((r) => r.status === 'RUNNING')).toHaveLength(1);
    // Three skips; the two manual ones share a row when they are recorded one after the other.
    const skipped = runs.filter((r) => r.status === 'SKIPPED');
    expect(skipped.reduce((count, r) => count + r.skippedCount, 0)).toBe(3);
    expect(new Set(skipped.map((r) => r.trigger))).toEqual(new Set(['MANUAL', 'SCHEDULE']));
    expect(runs.find((r) => r.trigger === 'SCHEDULE')?.error).toMatch(/still in progress/);
    expect(fake.calls).toHaveLength(1);
    expect(fake.maxActive).toBe(1);

    await fake.calls[0]!.finish();
    await waitFor(() => !runner.isRunning(job.id));
    const run = await runner.trigger(job.id, 'MANUAL');
    expect(run.status).toBe('RUNNING');
    await fake.calls[1]!.finish();
    expect(fake.maxActive).toBe(1);
  });

  it('a trigger right after a run is recorded finished starts a run, even while the end-of-run hooks still hold the job', async () => {
    const { orm, fake, runner, job, releaseHook } = await finishedRunStillReporting();
    const triggered = runner.trigger(job.id, 'MANUAL');
    releaseHook();
    expect((await triggered).status).toBe('RUNNING');
    expect((await runsOf(orm, job.id)).map((r) => r.status)).toEqual(['SUCCEEDED', 'RUNNING']);
    await fake.calls[1]!.finish();
  });

  it('a cancel or a prefix change right after a run is recorded finished cancels nothing and starts no rerun', async () => {
    const { orm, fake, runner, services, job, releaseHook, holdHook } = await finishedRunStillReporting();
    const cancelled = runner.cancel(job.id);
    releaseHook();
    expect(await cancelled).toBe(false);
    expect(fake.calls[0]!.signal.aborted).toBe(false);

    await services.lifecycle.trigger(job.id);
    const releaseSecond = holdHook();
    await fake.calls[1]!.finish('SUCCEEDED');
    await waitFor(async () => (await runsOf(orm, job.id))[1]?.status === 'SUCCEEDED', 5000, 'the second run recorded');
    // Held long enough for the update to reach the runner while the hook still holds the slot.
    setTimeout(releaseSecond, 300);
    await services.lifecycle.update(job.id, { connectorConfig: { prefix: 'other/' } });
    expect((await runsOf(orm, job.id)).map((r) => [r.trigger, r.status])).toEqual([
      ['CREATED', 'SUCCEEDED'],
      ['MANUAL', 'SUCCEEDED'],
    ]);
    expect(fake.calls).toHaveLength(2);
  });

  it('a failing run marks the job FAILED, keeps its schedule and retries on the next tick', async () => {
    const { orm, clock, fake, runner, services } = await setup({ auto: 'throw' });
    const job = await services.jobs.create(jobInput());
    await waitFor(async () => (await jobRow(orm, job.id)).status === 'FAILED', 5000, 'job FAILED');
    const [run] = await runsOf(orm, job.id);
    expect(run).toMatchObject({ status: 'FAILED', error: 'NoSuchBucket: The specified bucket does not exist' });
    expect(run!.finishedAt).toBeInstanceOf(Date);
    expect((await jobRow(orm, job.id)).nextRunAt?.getTime()).toBe(job.createdAt.getTime() + HOUR);

    clock.t = job.createdAt.getTime() + HOUR;
    await runner.tick();
    await waitFor(async () => (await runsOf(orm, job.id)).filter((r) => r.status === 'FAILED').length === 2);
    expect(fake.calls).toHaveLength(0); // it threw before registering: the runner recorded both failures
  });

  it('an executor that returns FAILED leaves the job FAILED until a run succeeds', async () => {
    const { orm, clock, fake, runner, services } = await setup();
    const job = await services.jobs.create(jobInput());
    await fake.calls[0]!.finish('FAILED', 'AccessDenied: credentials refused');
    await waitFor(async () => (await jobRow(orm, job.id)).status === 'FAILED');
    expect((await runsOf(orm, job.id))[0]).toMatchObject({ status: 'FAILED', error: 'AccessDenied: credentials refused' });

    clock.t = job.createdAt.getTime() + HOUR;
    await runner.tick();
    expect((await jobRow(orm, job.id)).status).toBe('RUNNING');
    await fake.calls[1]!.finish('SUCCEEDED');
    await waitFor(async () => (await jobRow(orm, job.id)).status === 'SCHEDULED');
  });

  it('cancel aborts the executor, records CANCELLED and keeps the schedule', async () => {
    const { orm, fake, runner, services } = await setup();
    const job = await services.jobs.create(jobInput());
    expect(await runner.cancel(job.id)).toBe(true);
    expect(fake.calls[0]!.signal.aborted).toBe(true);
    expect((await runsOf(orm, job.id))[0]).toMatchObject({ status: 'CANCELLED' });
    const row = await jobRow(orm, job.id);
    expect(row.status).toBe('CANCELLED');
    expect(row.nextRunAt).not.toBeNull();
    expect(await runner.cancel(job.id)).toBe(false);
  });

  it('stop() aborts runs at a boundary and leaves them RUNNING so the next start resumes them', async () => {
    const { orm, fake, runner, services } = await setup();
    const job = await services.jobs.create(jobInput());
    await runner.stop();
    expect(fake.calls[0]!.signal.aborted).toBe(true);
    expect((await runsOf(orm, job.id))[0]).toMatchObject({ status: 'RUNNING', finishedAt: null });
    expect(runner.isRunning(job.id)).toBe(false);
    await expect(runner.trigger(job.id, 'MANUAL')).rejects.toThrow(/stopped/);
  });
});
