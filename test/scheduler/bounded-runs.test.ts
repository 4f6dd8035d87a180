import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { InputError } from '../../src/services/errors.js';
import { createServices } from '../../src/services/services.js';
import { http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startAppWithFakeExecutor } from './api-app.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;
const jobInput = (schedule: string) => ({ name: 'busy', connectorType: 'S3', schedule, connectorConfig: { bucketName: 'bucket-a' } });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A runner stepped by hand on a fake clock (tick period far beyond the test), like job-runner.test.ts. */
async function setup(options: { serviceMinMs?: number; runnerMinMs?: number; auto?: 'SUCCEEDED' } = {}) {
  const db = await openTestDb();
  const clock = { t: Date.parse('2026-11-29T10:00:00.000Z') };
  const fake = createFakeExecutor(db.orm, { auto: options.auto });
  const runner = createJobRunner({
    orm: db.orm,
    execute: fake.execute,
    logger: silentLogger,
    now: () => new Date(clock.t),
    tickMs: HOUR,
    minIntervalMs: options.runnerMinMs ?? 0,
  });
  const services = createServices({ orm: db.orm, runner, defaultPageSize: 100, minScheduleIntervalMs: options.serviceMinMs ?? 0 });
  cleanups.push(async () => {
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  /** Moves the clock one second at a time, ticking the runner at each step. */
  const tickSeconds = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.t += 1000;
      await runner.tick();
    }
  };
  return { ...db, clock, fake, runner, services, tickSeconds };
}

const runsOf = (orm: Orm, jobId: string) => orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });

function inputErrorOf(fn: () => Promise<unknown>): Promise<InputError> {
  return fn().then(
    () => {
      throw new Error('expected an InputError');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(InputError);
      return error as InputError;
    },
  );
}

describe('minimum interval between scheduled runs (MIN_SCHEDULE_INTERVAL)', () => {
  it('refuses at creation and update a schedule that fires more often than the minimum, naming schedule', async () => {
    const { services, orm } = await setup({ serviceMinMs: 60_000 });
    for (const schedule of ['*/1 * * * * *', '0,30 * * * * *', '* * * * * *']) {
      const error = await inputErrorOf(() => services.jobs.create(jobInput(schedule)));
      expect(error.field).toBe('schedule');
      expect(error.message).toMatch(/fires every \d+s at times; runs must be at least 1m apart \(MIN_SCHEDULE_INTERVAL\)/);
    }
    expect(await orm.em.fork().count(Job, {})).toBe(0);
    // Every minute is exactly the minimum: accepted, as are the named schedules.
    const job = await services.jobs.create({ ...jobInput('* * * * *'), paused: true });
    await services.jobs.create({ ...jobInput('quinqueminutely'), paused: true });
    const error = await inputErrorOf(() => services.lifecycle.update(job.id, { schedule: '*/10 * * * * *' }));
    expect(error.field).toBe('schedule');
    expect((await orm.em.fork().findOneOrFail(Job, { id: job.id })).schedule).toBe('* * * * *');
  });

  it('looks past the first fire times: two runs a minute apart once a day are refused under a 1h minimum', async () => {
    const { services } = await setup({ serviceMinMs: HOUR });
    const error = await inputErrorOf(() => services.jobs.create(jobInput('0,1 3 * * *')));
    expect(error.message).toMatch(/fires every 1m at times; runs must be at least 1h apart/);
    await expect(services.jobs.create({ ...jobInput('0 */2 * * *'), paused: true })).resolves.toBeTruthy();
  });

  it('a job stored with a finer schedule (before the limit) is still run at most once per minimum interval', async () => {
    const { services, orm, runner, tickSeconds } = await setup({ runnerMinMs: 10_000, auto: 'SUCCEEDED' });
    const job = await services.jobs.create(jobInput('*/1 * * * * *'));
    for (let second = 0; second < 60; second++) {
      await waitFor(() => !runner.isRunning(job.id), 5000, 'run ended');
      await tickSeconds(1);
    }
    const scheduled = (await runsOf(orm, job.id)).filter((r) => r.trigger === 'SCHEDULE');
    expect(scheduled.map((r) => r.status)).toEqual(Array(6).fill('SUCCEEDED'));
    const gaps = scheduled.slice(1).map((r, i) => r.startedAt!.getTime() - scheduled[i]!.startedAt!.getTime());
    expect(gaps).toEqual(Array(5).fill(10_000));
  });

  it('is refused by REST (400 naming schedule) and GraphQL (BAD_USER_INPUT) with the default 60s', async () => {
    await using app = await startAppWithFakeExecutor();
    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'every-second',
      connector_type: 'S3',
      schedule: '* * * * * *',
      connector_config: { bucket_name: 'bucket-a' },
    });
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/^Invalid schedule, it fires every 1s at times; runs must be at least 1m apart/);
    const gql = await http(app, 'POST', '/graphql', {
      query: `mutation { createJob(input: { name: "every-sec", connectorType: S3, schedule: "*/5 * * * * *",
        connectorConfig: { bucketName: "bucket-a" } }) { job { id } } }`,
    });
    expect(gql.body.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(gql.body.errors[0].message).toMatch(/fires every 5s/);
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);
  });
});

describe('skipped ticks are coalesced', () => {
  it('a cron firing every second during a long run adds one SKIPPED row that counts the ticks', async () => {
    const { services, orm, fake, runner, tickSeconds } = await setup();
    const job = await services.jobs.create(jobInput('*/1 * * * * *'));
    const started = Date.parse('2026-11-29T10:00:00.000Z');
    await tickSeconds(300);
    let runs = await runsOf(orm, job.id);
    expect(runs.map((r) => [r.trigger, r.status, r.skippedCount])).toEqual([
      ['CREATED', 'RUNNING', 0],
      ['SCHEDULE', 'SKIPPED', 300],
    ]);
    expect(runs[1]!.startedAt!.getTime()).toBe(started + 1000);
    expect(runs[1]!.finishedAt!.getTime()).toBe(started + 300_000);
    expect(runs[1]!.error).toBe(`Skipped: run ${runs[0]!.id} of this job is still in progress`);

    // A manual trigger is its own series; a second one joins it.
    await services.lifecycle.trigger(job.id);
    const again = await services.lifecycle.trigger(job.id);
    expect(again.run).toMatchObject({ status: 'SKIPPED', trigger: 'MANUAL', skippedCount: 2 });
    // Once the run ends, the next tick runs; skips after that start a new row.
    await fake.calls[0]!.finish();
    await waitFor(() => !runner.isRunning(job.id), 5000, 'run ended');
    await tickSeconds(3);
    runs = await runsOf(orm, job.id);
    expect(runs.map((r) => [r.trigger, r.status, r.skippedCount])).toEqual([
      ['CREATED', 'SUCCEEDED', 0],
      ['SCHEDULE', 'SKIPPED', 300],
      ['MANUAL', 'SKIPPED', 2],
      ['SCHEDULE', 'RUNNING', 0],
      ['SCHEDULE', 'SKIPPED', 2],
    ]);
  });

  it('shows the count in GraphQL runs and in REST trigger_job', async () => {
    await using app = await startAppWithFakeExecutor();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'held-run',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'bucket-a' },
    });
    const jobId = created.body.job_id as string;
    await waitFor(() => app.fake.calls.length === 1, 5000, 'first run');
    for (let i = 1; i <= 3; i++) {
      const res = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId });
      expect(res.body.run).toMatchObject({ status: 'SKIPPED', trigger: 'MANUAL', skipped_count: i });
    }
    const gql = await http(app, 'POST', '/graphql', {
      query: 'query($id: ID!) { runs(jobId: $id) { totalCount edges { node { status trigger skippedCount } } } }',
      variables: { id: jobId },
    });
    expect(gql.body.data.runs).toEqual({
      totalCount: 2,
      edges: [
        { node: { status: 'SKIPPED', trigger: 'MANUAL', skippedCount: 3 } },
        { node: { status: 'RUNNING', trigger: 'CREATED', skippedCount: 0 } },
      ],
    });
    await app.fake.calls[0]!.finish();
  });
});
