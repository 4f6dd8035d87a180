import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { startAppWithFakeExecutor } from './api-app.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';

const HOUR = 3_600_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A paused job and a runner whose end-of-run hook waits until `releaseHook()` (`reporting` once it is called). */
async function pausedJobWithHeldRunEnd() {
  const db = await openTestDb();
  const fake = createFakeExecutor(db.orm);
  const state = { reporting: false };
  let releaseHook!: () => void;
  const hookHeld = new Promise<void>((resolve) => (releaseHook = resolve));
  const onRunFinished = () => {
    state.reporting = true;
    return hookHeld;
  };
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: HOUR, onRunFinished });
  cleanups.push(async () => {
    releaseHook();
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  await runner.start();
  const { jobs, lifecycle } = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
  const job = await jobs.create({ name: 'race', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: 'bucket-a' } });
  const jobRow = () => db.orm.em.fork().findOneOrFail(Job, { id: job.id });
  const runningRuns = () => db.orm.em.fork().count(SyncRun, { jobId: job.id, status: 'RUNNING' });
  return { fake, runner, lifecycle, job, state, releaseHook, jobRow, runningRuns };
}

describe('resume of a paused job whose manual run is just ending', () => {
  it('the run still going: the job is RUNNING, then follows the run\'s end', async () => {
    const { fake, runner, lifecycle, job, releaseHook, jobRow } = await pausedJobWithHeldRunEnd();
    await lifecycle.trigger(job.id);
    expect(await lifecycle.resume(job.id)).toMatchObject({ status: 'RUNNING' });
    releaseHook();
    await fake.calls[0]!.finish('FAILED');
    await waitFor(() => !runner.isRunning(job.id));
    expect(await jobRow()).toMatchObject({ status: 'FAILED' });
  });

  it('the run recorded ended, its end still being reported: the job is SCHEDULED, not RUNNING with no run', async () => {
    const { fake, runner, lifecycle, job, state, releaseHook, jobRow, runningRuns } = await pausedJobWithHeldRunEnd();
    await lifecycle.trigger(job.id);
    await fake.calls[0]!.finish('SUCCEEDED');
    // The job's status after the run is already recorded (left PAUSED); the runner still holds the run.
    await waitFor(() => state.reporting);
    expect(runner.isRunning(job.id)).toBe(true);

    expect(await lifecycle.resume(job.id)).toMatchObject({ status: 'SCHEDULED' });
    releaseHook();
    await waitFor(() => !runner.isRunning(job.id));
    expect(await jobRow()).toMatchObject({ status: 'SCHEDULED' });
    expect(await runningRuns()).toBe(0);
  });

  /**
   * No hook holding the end: on PostgreSQL it is recorded over several round trips, and the resume
   * lands at a different point of them each round. SQLite's synchronous driver leaves no such window.
   */
  it("resumed at any point of the run's end: never RUNNING with no run", { timeout: 60_000 }, async () => {
    await using app = await startAppWithFakeExecutor();
    const job = await app.services.jobs.create({ name: 'race', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: 'bucket-a', prefix: 'x/' } });
    const stuck: string[] = [];
    for (let round = 0; round < 20; round++) {
      const n = app.fake.calls.length;
      await app.services.lifecycle.trigger(job.id);
      const call = await waitFor(() => app.fake.calls[n]);
      // The run's final status is committed; its end (job status, webhooks, metrics) is being recorded.
      await call.finish('SUCCEEDED');
      for (let i = 0; i < round % 10; i++) await nextTurn();
      const resumed = await app.services.lifecycle.resume(job.id);
      await waitFor(() => !app.runner.isRunning(job.id));
      const running = await app.orm.em.fork().count(SyncRun, { jobId: job.id, status: 'RUNNING' });
      const row = await app.orm.em.fork().findOneOrFail(Job, { id: job.id });
      if (row.status === 'RUNNING' && running === 0) stuck.push(`round ${round}: resume answered ${resumed.status}; job RUNNING with no run`);
      await app.services.lifecycle.pause(job.id);
    }
    expect(stuck).toEqual([]);
  });
});
