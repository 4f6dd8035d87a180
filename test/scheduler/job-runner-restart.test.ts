import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../../src/db/orm.js';
import { createJobRunner, type SchedulingJobRunner } from '../../src/scheduler/job-runner.js';
import { STOPPING_FOR_PAUSE } from '../../src/scheduler/job-runner-types.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;
const input = { name: 'hourly-job', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a' } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** One "process": a runner over its own ORM on the shared SQLite file, with its own fake clock and executor. */
async function boot(orm: Orm, t: number) {
  const clock = { t };
  const fake = createFakeExecutor(orm);
  const runner: SchedulingJobRunner = createJobRunner({
    orm,
    execute: fake.execute,
    logger: silentLogger,
    now: () => new Date(clock.t),
    tickMs: HOUR,
  });
  cleanups.push(() => runner.stop());
  const services = createServices({ orm, runner, defaultPageSize: 100 });
  await runner.start();
  return { clock, fake, runner, services };
}

async function firstProcess() {
  const db = await openTestDb();
  cleanups.push(() => db[Symbol.asyncDispose]());
  const first = await boot(db.orm, Date.now());
  const job = await first.services.jobs.create(input);
  return { db, first, job, created: job.createdAt.getTime() };
}

/**
 * Every insert into sync_runs fails until the returned function is called: a process "dying" where it
 * records a run row, after whatever it stored before.
 */
async function dieAtRunInserts(orm: Orm): Promise<() => Promise<void>> {
  const connection = orm.em.getConnection();
  await connection.execute(
    isPostgres(orm)
      ? `create function zz_die() returns trigger language plpgsql as $$ begin raise exception 'process died'; end $$; create trigger zz_die before insert on sync_runs for each row execute function zz_die()`
      : `create trigger zz_die before insert on sync_runs begin select raise(abort, 'process died'); end`,
  );
  return async () => {
    await connection.execute(isPostgres(orm) ? 'drop trigger zz_die on sync_runs; drop function zz_die' : 'drop trigger zz_die');
  };
}

/** Every write of a job's next run time fails until the returned function is called: a process "dying" just before it. */
async function dieAtNextRunTimeStores(orm: Orm): Promise<() => Promise<void>> {
  const connection = orm.em.getConnection();
  await connection.execute(
    isPostgres(orm)
      ? `create function zz_die() returns trigger language plpgsql as $$ begin raise exception 'process died'; end $$; create trigger zz_die before update of next_run_at on jobs for each row execute function zz_die()`
      : `create trigger zz_die before update of next_run_at on jobs begin select raise(abort, 'process died'); end`,
  );
  return async () => {
    await connection.execute(isPostgres(orm) ? 'drop trigger zz_die on jobs; drop function zz_die' : 'drop trigger zz_die');
  };
}

const runsOf = (orm: Orm, jobId: string) => orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });
const jobRow = (orm: Orm, id: string) => orm.em.fork().findOneOrFail(Job, { id });

describe('restart', () => {
  it('re-registers schedules without running anything early', async () => {
    const { db, first, job, created } = await firstProcess();
    await first.fake.calls[0]!.finish();
    await waitFor(async () => (await jobRow(db.orm, job.id)).status === 'SCHEDULED');
    await first.runner.stop();

    const second = await boot(await db.reopen(), created + 30 * 60_000);
    expect(second.fake.calls).toHaveLength(0);
    expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(created + HOUR);
    second.clock.t = created + HOUR;
    await second.runner.tick();
    expect(second.fake.calls).toHaveLength(1);
    expect((await runsOf(db.orm, job.id)).map((r) => r.trigger)).toEqual(['CREATED', 'SCHEDULE']);
    await second.fake.calls[0]!.finish();
  });

  it('runs an overdue job once at start (not a burst) and recomputes nextRunAt', async () => {
    const { db, first, job, created } = await firstProcess();
    await first.fake.calls[0]!.finish();
    await waitFor(() => !first.runner.isRunning(job.id));
    await first.runner.stop();

    // Down for a bit over five hours: five ticks were missed.
    const second = await boot(await db.reopen(), created + 5 * HOUR + 10 * 60_000);
    expect(second.fake.calls).toHaveLength(1);
    expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(created + 6 * HOUR);
    await second.runner.tick();
    expect(second.fake.calls).toHaveLength(1);
    const runs = await runsOf(db.orm, job.id);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([
      ['CREATED', 'SUCCEEDED'],
      ['CATCH_UP', 'RUNNING'],
    ]);
    await second.fake.calls[0]!.finish();
  });

  it('resumes a run left RUNNING by a dead process at once, with the same run id, and runs nothing else', async () => {
    const { db, first, job, created } = await firstProcess();
    const runId = first.fake.calls[0]!.runId;
    // The first process "dies": no stop(), its run row stays RUNNING. It was due again while down.
    const second = await boot(await db.reopen(), created + 2 * HOUR + 1000);
    expect(second.fake.calls.map((c) => c.runId)).toEqual([runId]);
    expect(second.runner.isRunning(job.id)).toBe(true);
    expect((await jobRow(db.orm, job.id)).status).toBe('RUNNING');

    await second.fake.calls[0]!.finish();
    await waitFor(async () => (await jobRow(db.orm, job.id)).status === 'SCHEDULED');
    const runs = await runsOf(db.orm, job.id);
    expect(runs.map((r) => [r.id, r.trigger, r.status])).toEqual([[runId, 'CREATED', 'SUCCEEDED']]);
    expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(created + 3 * HOUR);
    // The dead process's executor never returns; the first runner is disposed by the cleanup.
  });

  it("a process dying after its new job's first run row was in, before the next run time was stored: the next start resumes that run, and records no second one", async () => {
    const db = await openTestDb();
    cleanups.push(() => db[Symbol.asyncDispose]());
    const first = await boot(db.orm, Date.now());
    const revive = await dieAtNextRunTimeStores(db.orm);
    await expect(first.services.jobs.create(input)).rejects.toThrow(/process died/);
    await revive();
    const job = await db.orm.em.fork().findOneOrFail(Job, { name: input.name });
    const runId = first.fake.calls[0]!.runId;

    // The job row still says its first run is owed: the next start's first tick finds that due time recorded.
    const second = await boot(await db.reopen(), job.createdAt.getTime() + 60_000);
    await second.runner.tick();
    expect(second.fake.calls.map((c) => c.runId)).toEqual([runId]);
    await second.fake.calls[0]!.finish();
    await waitFor(async () => (await jobRow(db.orm, job.id)).status === 'SCHEDULED');
    const runs = await runsOf(db.orm, job.id);
    expect(runs.map((r) => [r.id, r.trigger, r.status, r.scheduledFor?.getTime()])).toEqual([[runId, 'CREATED', 'SUCCEEDED', job.createdAt.getTime()]]);
    expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(job.createdAt.getTime() + HOUR);
  });

  it("a process dying after a due time's tick began and before its run row was in catches that due time up at the next start", async () => {
    const { db, first, job, created } = await firstProcess();
    await first.fake.calls[0]!.finish();
    await waitFor(() => !first.runner.isRunning(job.id));
    // The run row's insert never lands (the process "dies" there): whatever the tick stored before it stays.
    const revive = await dieAtRunInserts(db.orm);
    first.clock.t = created + HOUR;
    await first.runner.tick();
    await revive();

    const second = await boot(await db.reopen(), created + HOUR + 60_000);
    expect(second.fake.calls).toHaveLength(1);
    const runs = await runsOf(db.orm, job.id);
    expect(runs.map((r) => [r.trigger, r.scheduledFor?.getTime()])).toEqual([
      ['CREATED', expect.any(Number)],
      ['CATCH_UP', created + HOUR],
    ]);
    await second.fake.calls[0]!.finish();
  });

  describe('a start cut short before its CATCH_UP row is in', () => {
    /** Down over the first due time (created + 1h); the next start "dies" where its CATCH_UP row goes in. */
    async function cutShortStart() {
      const { db, first, job, created } = await firstProcess();
      await first.fake.calls[0]!.finish();
      await waitFor(() => !first.runner.isRunning(job.id));
      await first.runner.stop();
      const revive = await dieAtRunInserts(db.orm);
      const second = await boot(await db.reopen(), created + HOUR + 10 * 60_000);
      await revive();
      expect(second.fake.calls).toHaveLength(0);
      expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(created + HOUR);
      return { db, second, job, created };
    }

    it('leaves the due time stored: the next start catches it up', async () => {
      const { db, second, job, created } = await cutShortStart();
      await second.runner.stop();
      const third = await boot(await db.reopen(), created + HOUR + 20 * 60_000);
      expect(third.fake.calls).toHaveLength(1);
      expect((await runsOf(db.orm, job.id)).map((r) => [r.trigger, r.scheduledFor?.getTime()])).toEqual([
        ['CREATED', expect.any(Number)],
        ['CATCH_UP', created + HOUR],
      ]);
      await third.fake.calls[0]!.finish();
    });

    it('keeps the due time due: the first tick records it, as CATCH_UP', async () => {
      const { db, second, job, created } = await cutShortStart();
      await second.runner.tick();
      expect(second.fake.calls).toHaveLength(1);
      expect((await runsOf(db.orm, job.id)).map((r) => [r.trigger, r.scheduledFor?.getTime()])).toEqual([
        ['CREATED', expect.any(Number)],
        ['CATCH_UP', created + HOUR],
      ]);
      expect((await jobRow(db.orm, job.id)).nextRunAt?.getTime()).toBe(created + 2 * HOUR);
      await second.fake.calls[0]!.finish();
    });
  });

  it('a run stopped by a graceful shutdown is resumed by the next start', async () => {
    const { db, first, job, created } = await firstProcess();
    const runId = first.fake.calls[0]!.runId;
    await first.runner.stop();
    expect(first.fake.calls[0]!.signal.aborted).toBe(true);

    const second = await boot(await db.reopen(), created + 60_000);
    expect(second.fake.calls.map((c) => c.runId)).toEqual([runId]);
    await second.fake.calls[0]!.finish();
    await waitFor(async () => (await jobRow(db.orm, job.id)).status === 'SCHEDULED');
    expect(await runsOf(db.orm, job.id)).toHaveLength(1);
  });

  it('leaves paused jobs alone at start and closes their stale runs', async () => {
    const { db, first, job, created } = await firstProcess();
    // Paused in the database while a run was still recorded RUNNING, marked by the pause (a crash mid-pause).
    await db.orm.em.fork().nativeUpdate(Job, { id: job.id }, { status: 'PAUSED', nextRunAt: null });
    await db.orm.em.fork().nativeUpdate(SyncRun, { jobId: job.id, status: 'RUNNING' }, { error: STOPPING_FOR_PAUSE });
    const second = await boot(await db.reopen(), created + 3 * HOUR);
    expect(second.fake.calls).toHaveLength(0);
    await second.runner.tick();
    expect(second.fake.calls).toHaveLength(0);
    expect((await runsOf(db.orm, job.id)).map((r) => r.status)).toEqual(['CANCELLED']);
    expect(first.fake.calls).toHaveLength(1);
  });
});

describe('restart with a paused job', () => {
  it("a manual run of the paused job, handed back by a graceful stop, is resumed (same run id) and the job stays paused", async () => {
    const db = await openTestDb();
    cleanups.push(() => db[Symbol.asyncDispose]());
    const first = await boot(db.orm, Date.now());
    const job = await first.services.jobs.create({ ...input, paused: true });
    const { run } = await first.services.lifecycle.trigger(job.id);
    await first.runner.stop();

    const second = await boot(await db.reopen(), Date.now());
    expect(second.fake.calls.map((call) => call.runId)).toEqual([run.id]);
    expect((await runsOf(db.orm, job.id)).map((r) => `${r.id}:${r.status}`)).toEqual([`${run.id}:RUNNING`]);
    await second.fake.calls[0]!.finish();
    await waitFor(() => !second.runner.isRunning(job.id));
    expect(await jobRow(db.orm, job.id)).toMatchObject({ status: 'PAUSED', nextRunAt: null });
  });
});
