import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const newJob = { job_name: 'updated while locked', connector_type: 'S3', schedule: 'weekly', connector_config: { bucket_name: 'bkt', prefix: 'p/' }, paused: true };

// update_job commits the job row (new schedule), then stores the new schedule's next run time. A lock
// taken between the two: README says a mutation whose first write is committed answers with what is stored.
describe.skipIf(onPostgres)('update_job whose scheduling meets another process’s SQLite write lock', () => {
  it('does not answer 503 after committing the new schedule, and next_run_at follows the new schedule', async () => {
    await using app = await startAppWithFakeExecutor();
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', newJob)).body.job_id as string;
    expect((await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: jobId })).status).toBe(200);
    const before = (await app.orm.em.fork().findOneOrFail(Job, { id: jobId })).nextRunAt!;
    const lock = await lockWhenTold(app);
    const schedule = app.runner.schedule.bind(app.runner);
    app.runner.schedule = async (job) => {
      if (job.id === jobId) await lock.take();
      return schedule(job);
    };

    const first = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, schedule: 'hourly' });
    await lock.release();
    expect(lock.taken, 'the lock was taken between the row and the schedule').toBe(true);
    // The client does as told by a 503: the same request again once the lock is gone.
    const retry = first.status === 503 ? await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, schedule: 'hourly' }) : first;
    expect(retry.status).toBe(200);
    // Stored once the lock is gone (in the background when the update could not wait for it).
    const storedNextRunAt = async () => (await app.orm.em.fork().findOneOrFail(Job, { id: jobId })).nextRunAt!;
    const stored = await waitFor(async () => {
      const at = await storedNextRunAt();
      return at.getTime() !== before.getTime() ? at : undefined;
    }, { what: 'a next run time other than the weekly one' }).catch(storedNextRunAt);
    const inHour = Date.now() + 3600_000;
    expect({
      firstStatus: first.status,
      schedule: (await app.orm.em.fork().findOneOrFail(Job, { id: jobId })).schedule,
      storedNextRunAtWithinTheHour: stored.getTime() <= inHour,
      storedNextRunAtIsTheWeeklyOne: stored.getTime() === before.getTime(),
    }).toEqual({ firstStatus: 200, schedule: 'hourly', storedNextRunAtWithinTheHour: true, storedNextRunAtIsTheWeeklyOne: false });
  });
});
