import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { ConflictError, InputError, NotFoundError } from '../../src/services/errors.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;
const input = { name: 'nightly', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a' } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(fakeOptions: Parameters<typeof createFakeExecutor>[1] = {}) {
  const db = await openTestDb();
  const clock = { t: Date.now() };
  const fake = createFakeExecutor(db.orm, fakeOptions);
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, now: () => new Date(clock.t), tickMs: HOUR });
  cleanups.push(async () => {
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
  const job = await services.jobs.create(input);
  return { orm: db.orm, clock, fake, runner, services, job, lifecycle: services.lifecycle };
}

const row = (orm: Orm, id: string) => orm.em.fork().findOne(Job, { id });
const runsOf = (orm: Orm, jobId: string) => orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });

describe('job lifecycle service', () => {
  it('update re-registers a new schedule and recomputes nextRunAt; bad cron or timezone names the field', async () => {
    const { orm, clock, fake, runner, job, lifecycle } = await setup();
    clock.t = Date.parse('2026-12-01T10:07:00Z');
    const updated = await lifecycle.update(` ${job.id} `, { name: '  renamed ', schedule: '0 9 * * *', timezone: 'Europe/Paris', prefix: 'new/' });
    expect(updated).toMatchObject({ name: 'renamed', schedule: '0 9 * * *', timezone: 'Europe/Paris', prefix: 'new/' });
    expect(updated.nextRunAt).toEqual(new Date('2026-12-02T08:00:00Z'));

    await expect(lifecycle.update(job.id, { schedule: '99 * * * *' })).rejects.toMatchObject({ field: 'schedule' });
    await expect(lifecycle.update(job.id, { timezone: 'Mars/Base' })).rejects.toMatchObject({ field: 'timezone' });
    await expect(lifecycle.update(job.id, { name: 'x' })).rejects.toMatchObject({ field: 'name' });
    await expect(lifecycle.update('nope', {})).rejects.toBeInstanceOf(InputError);
    await expect(lifecycle.update(randomUUID(), {})).rejects.toBeInstanceOf(NotFoundError);
    expect(await row(orm, job.id)).toMatchObject({ name: 'renamed', schedule: '0 9 * * *' });

    // The new prefix cancelled the run in progress and started one with it.
    expect(fake.calls[0]!.signal.aborted).toBe(true);
    expect((await runsOf(orm, job.id)).map((r) => [r.trigger, r.status])).toEqual([
      ['CREATED', 'CANCELLED'],
      ['UPDATE', 'RUNNING'],
    ]);
    // The new schedule is the one the loop fires.
    await fake.calls[1]!.finish();
    await waitFor(() => !runner.isRunning(job.id));
    clock.t = Date.parse('2026-12-02T08:00:00Z');
    await runner.tick();
    expect(fake.calls).toHaveLength(3);
    await fake.calls[2]!.finish();
  });

  it('pause cancels the running sync, stops the schedule; resume brings the schedule back without running', async () => {
    const { orm, clock, fake, runner, job, lifecycle } = await setup();
    const paused = await lifecycle.pause(job.id);
    expect(fake.calls[0]!.signal.aborted).toBe(true);
    expect(paused).toMatchObject({ status: 'PAUSED', nextRunAt: null });
    expect((await runsOf(orm, job.id))[0]!.status).toBe('CANCELLED');
    await expect(lifecycle.pause(job.id)).rejects.toBeInstanceOf(ConflictError);

    clock.t = job.createdAt.getTime() + 3 * HOUR + 60_000;
    await runner.tick();
    expect(fake.calls).toHaveLength(1);

    const resumed = await lifecycle.resume(job.id);
    expect(resumed.status).toBe('SCHEDULED');
    expect(resumed.nextRunAt?.getTime()).toBe(job.createdAt.getTime() + 4 * HOUR);
    expect(fake.calls).toHaveLength(1);
    await expect(lifecycle.resume(job.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('trigger runs now or records SKIPPED; cancelRun stops the run and reports it', async () => {
    const { orm, fake, runner, job, lifecycle } = await setup();
    const skipped = await lifecycle.trigger(job.id);
    expect(skipped.run).toMatchObject({ status: 'SKIPPED', trigger: 'MANUAL' });
    const cancelled = await lifecycle.cancelRun(job.id);
    expect(cancelled.job.status).toBe('CANCELLED');
    expect(cancelled.run).toMatchObject({ id: fake.calls[0]!.runId, status: 'CANCELLED' });
    await expect(lifecycle.cancelRun(job.id)).rejects.toBeInstanceOf(ConflictError);

    const manual = await lifecycle.trigger(job.id);
    expect(manual.run).toMatchObject({ status: 'RUNNING', trigger: 'MANUAL' });
    expect(manual.job.status).toBe('RUNNING');
    await fake.calls[1]!.finish();
    await waitFor(() => !runner.isRunning(job.id));
    expect((await row(orm, job.id))!.status).toBe('SCHEDULED');
  });

  it('deleteMany validates every id first, cancels running syncs and reports unknown ids', async () => {
    const { orm, fake, services, job, lifecycle } = await setup();
    const other = await services.jobs.create({ ...input, paused: true });
    const unknown = randomUUID();

    await expect(lifecycle.deleteMany([job.id, 'not-a-uuid'])).rejects.toMatchObject({ field: 'ids.1', message: 'Invalid job ID: ids[1]' });
    await expect(lifecycle.deleteMany(job.id)).rejects.toMatchObject({ field: 'ids' });
    expect(await row(orm, job.id)).not.toBeNull();

    const result = await lifecycle.deleteMany([job.id, ` ${other.id.toUpperCase()} `, unknown, job.id]);
    expect(result).toEqual({ deletedJobIds: [job.id, other.id], unknownJobIds: [unknown] });
    expect(fake.calls[0]!.signal.aborted).toBe(true);
    expect(await row(orm, job.id)).toBeNull();
    expect(await row(orm, other.id)).toBeNull();
    expect(await runsOf(orm, job.id)).toHaveLength(0);
    expect(await lifecycle.deleteMany([])).toEqual({ deletedJobIds: [], unknownJobIds: [] });
  });
});

describe('a pause racing an update', () => {
  async function setupAutoRuns() {
    const env = await setup({ auto: 'SUCCEEDED' });
    await waitFor(() => !env.runner.isRunning(env.job.id));
    return env;
  }

  it('an update of the schedule started first, the pause landing during it: the paused job gets no scheduled run', async () => {
    const { orm, clock, fake, runner, lifecycle, job } = await setupAutoRuns();
    await Promise.all([lifecycle.update(job.id, { schedule: 'daily' }), lifecycle.pause(job.id)]);
    expect(await row(orm, job.id)).toMatchObject({ status: 'PAUSED', nextRunAt: null, schedule: 'daily' });
    clock.t += 25 * HOUR;
    await runner.tick();
    await waitFor(() => !runner.isRunning(job.id));
    expect((await runsOf(orm, job.id)).map((r) => `${r.trigger}:${r.status}`)).toEqual(['CREATED:SUCCEEDED']);
    expect(fake.calls).toHaveLength(1);
  });

  it('the pause started first, the update landing during it: the update writes only what it changed (next_run_at stays null)', async () => {
    const { orm, lifecycle, job } = await setupAutoRuns();
    await Promise.all([lifecycle.pause(job.id), lifecycle.update(job.id, { schedule: 'daily' })]);
    expect(await row(orm, job.id)).toMatchObject({ status: 'PAUSED', nextRunAt: null, schedule: 'daily' });
  });

  it('a pause elsewhere finding no run to stop as the prefix update starts its rerun: the rerun is stopped', async () => {
    const { orm, fake, runner, job } = await setup();
    await waitFor(() => fake.calls[0]);
    // The other instance's pause stores PAUSED just before the rerun's row is in: its own search for runs came too early.
    const pausedElsewhere: typeof runner = {
      ...runner,
      async trigger(jobId, trigger) {
        await orm.em.fork().nativeUpdate(Job, { id: jobId }, { status: 'PAUSED', nextRunAt: null });
        return runner.trigger(jobId, trigger);
      },
    };
    const { lifecycle } = createServices({ orm, runner: pausedElsewhere, defaultPageSize: 100 });
    expect(await lifecycle.update(job.id, { prefix: 'new/' })).toMatchObject({ status: 'PAUSED', prefix: 'new/' });
    await waitFor(() => !runner.isRunning(job.id));
    expect((await runsOf(orm, job.id)).map((r) => `${r.trigger}:${r.status}`)).toEqual(['CREATED:CANCELLED', 'UPDATE:CANCELLED']);
    expect(await row(orm, job.id)).toMatchObject({ status: 'PAUSED' });
  });
});

describe('triggers', () => {
  it('two triggers at once after an earlier skipped series: a SKIPPED row of its own, the old series untouched', async () => {
    const { orm, fake, runner, lifecycle, job } = await setup();
    const first = await lifecycle.trigger(job.id); // skipped: the CREATED run goes on
    expect(first.run).toMatchObject({ status: 'SKIPPED', skippedCount: 1 });
    await fake.calls[0]!.finish();
    await waitFor(() => !runner.isRunning(job.id));
    const [a, b] = await Promise.all([lifecycle.trigger(job.id), lifecycle.trigger(job.id)]);
    expect([a.run.status, b.run.status].sort()).toEqual(['RUNNING', 'SKIPPED']);
    const runs = await runsOf(orm, job.id);
    expect(runs.find((r) => r.id === first.run.id)?.skippedCount).toBe(1);
    // The new run's row and the new skip's are written in either order.
    const rows = runs.map((r) => `${r.trigger}:${r.status}:${r.skippedCount}`);
    expect([...rows.slice(0, 2), ...rows.slice(2).sort()]).toEqual(['CREATED:SUCCEEDED:0', 'MANUAL:SKIPPED:1', 'MANUAL:RUNNING:0', 'MANUAL:SKIPPED:1']);
    await fake.calls[1]?.finish();
  });
});
