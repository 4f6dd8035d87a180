import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startAppWithFakeExecutorAt } from './app-at.js';

const newJob = { job_name: 'cut after commit', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' }, paused: true };

// README: "A run whose row is recorded runs (a trigger_job answers 200 with it) ... a resume_job
// answers 200". On PostgreSQL the database going away after the first write also fails the
// mutation's final read-back of the job (lifecycle.trigger / lifecycle.resume: reload()), as
// create_job's did before a6b5f02: the client is told 503 "try again later".
describe.runIf(onPostgres)('trigger_job / resume_job / pause_job when PostgreSQL goes away after their first write', () => {
  it('trigger_job answers 200 with its recorded run, and a retry is not needed', async () => {
    await using relay = await startRelayedPostgres();
    await using app = await startAppWithFakeExecutorAt(relay.dbUrl);
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).body.job_id as string;
    let cut = false;
    const cutOnce = async () => {
      if (cut) return;
      cut = true;
      await relay.cut();
    };
    afterFlushOf(app.orm, (set) => set.type === 'create' && set.entity instanceof SyncRun && set.entity.trigger === 'MANUAL', cutOnce);

    const triggered = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId });
    await relay.mend();
    expect(cut, 'the relay was cut right after the run row committed').toBe(true);
    const runs = await waitFor(async () => {
      try {
        return await app.orm.em.fork().find(SyncRun, { jobId });
      } catch {
        return undefined;
      }
    }, { what: 'the runs once the database is back' });
    expect({ status: triggered.status, body: triggered.body?.message, runs: runs.map((r) => r.trigger) }).toEqual({ status: 200, body: 'Job triggered successfully', runs: ['MANUAL'] });
  });

  it('resume_job answers 200, not 503 (whose retry is told 409 "Job is not paused")', async () => {
    await using relay = await startRelayedPostgres();
    await using app = await startAppWithFakeExecutorAt(relay.dbUrl);
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).body.job_id as string;
    const schedule = app.runner.schedule.bind(app.runner);
    let cut = false;
    app.runner.schedule = async (job) => {
      if (job.id === jobId && !cut) {
        cut = true;
        await relay.cut();
      }
      return schedule(job);
    };
    const resumed = await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId });
    await relay.mend();
    expect(cut, 'the relay was cut after the resume committed its status').toBe(true);
    const retry = resumed.status === 503 ? await waitFor(async () => {
      const r = await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId });
      return r.status === 503 ? undefined : r;
    }, { what: 'the retry' }) : resumed;
    expect({ first: resumed.status, retry: retry.status, retryMessage: retry.body.message }).toEqual({ first: 200, retry: 200, retryMessage: 'Job resumed successfully' });
  });

  it('pause_job answers 200 with the job PAUSED once PAUSED is committed, not 503', async () => {
    await using relay = await startRelayedPostgres();
    await using app = await startAppWithFakeExecutorAt(relay.dbUrl);
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', { ...newJob, paused: false })).body.job_id as string;
    await waitFor(() => app.fake.calls.length === 1, { what: 'the first run' });
    // PAUSED is committed before the run is stopped: the relay is cut there.
    const cancel = app.runner.cancel.bind(app.runner);
    let cut = false;
    app.runner.cancel = async (id) => {
      if (id === jobId && !cut) {
        cut = true;
        await relay.cut();
      }
      return cancel(id);
    };
    const paused = await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: jobId });
    await relay.mend();
    expect(cut, 'the relay was cut after the pause committed PAUSED').toBe(true);
    expect({ status: paused.status, jobStatus: paused.body?.job?.job_status, nextRunAt: paused.body?.job?.next_run_at }).toEqual({ status: 200, jobStatus: 'PAUSED', nextRunAt: null });
  });
});
