import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const newJob = { job_name: 'triggered while locked', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' }, paused: true };

// The run row is committed before the job is marked RUNNING: a 503 there would leave the run
// RUNNING with nobody driving it, and the retry the answer asks for would be recorded SKIPPED.
describe.skipIf(onPostgres)('trigger_job whose job status meets another process’s SQLite write lock', () => {
  it('answers 200 with the recorded run, not 503, drives that run and brings the job status along', async () => {
    await using app = await startAppWithFakeExecutor();
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).body.job_id as string;
    expect((await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId })).status).toBe(200);
    const lock = await lockWhenTold(app);
    // The lock is taken just after the run row is committed, before the job is marked RUNNING.
    afterFlushOf(app.orm, (set) => set.type === 'create' && set.entity instanceof SyncRun && set.entity.trigger === 'MANUAL', lock.take);

    const triggered = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId });
    await lock.release();
    expect(lock.taken, 'the lock was taken between the run insert and the job status').toBe(true);

    // Before the fix: 503, and the run row RUNNING with no executor call.
    expect(triggered.status).toBe(200);
    const runs = await app.orm.em.fork().find(SyncRun, { jobId });
    expect(runs.map((run) => [run.id, run.trigger, run.status])).toEqual([[triggered.body.run.run_id, 'MANUAL', 'RUNNING']]);
    const call = await waitFor(() => app.fake.calls.find((c) => c.runId === runs[0]!.id), { what: 'the run handed to the executor' });
    const statusOfJob = async () => (await app.orm.em.fork().findOneOrFail(Job, { id: jobId })).status;
    await waitFor(async () => (await statusOfJob()) === 'RUNNING', { what: 'the job marked RUNNING once the lock is gone' });
    await call.finish('SUCCEEDED');
    await waitFor(async () => (await statusOfJob()) === 'SCHEDULED', { what: 'the job SCHEDULED after its run' });
  });
});
