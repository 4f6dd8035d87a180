import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const newJob = { job_name: 'resumed while locked', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' }, paused: true };

// The status is committed before the schedule's next run time is stored: a 503 there would be
// followed, as the answer asks, by a retry told 409 "Job is not paused".
describe.skipIf(onPostgres)('resume_job whose scheduling meets another process’s SQLite write lock', () => {
  it('answers 200 with the resumed job, not 503, and stores its next run time once the lock is gone', async () => {
    await using app = await startAppWithFakeExecutor();
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).body.job_id as string;
    const lock = await lockWhenTold(app);
    // The lock is taken once the resume's status is written, as its schedule is stored.
    const schedule = app.runner.schedule.bind(app.runner);
    app.runner.schedule = async (job) => {
      if (job.id === jobId) await lock.take();
      return schedule(job);
    };

    const resumed = await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId });
    await lock.release();
    expect(lock.taken, 'the lock was taken between the status and the schedule').toBe(true);

    // Before the fix: 503, and the retry it asks for answers 409.
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ job: { job_id: jobId, job_status: 'SCHEDULED', next_run_at: null }, message: 'Job resumed successfully' });
    const stored = await waitFor(async () => (await app.orm.em.fork().findOneOrFail(Job, { id: jobId })).nextRunAt, { what: 'the next run time stored' });
    const listed = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${jobId}`);
    expect(listed.body).toMatchObject({ job: { job_status: 'SCHEDULED', next_run_at: stored.toUTCString() } });
  });
});
