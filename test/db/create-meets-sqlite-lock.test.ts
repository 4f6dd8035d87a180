import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { waitFor } from '../helpers/poll.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const NAME = 'locked after insert';
const newJob = { job_name: NAME, connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' } };

// A 503 says "nothing written, try again": once the job row is committed, a client that follows
// Retry-After would end up with two jobs. The answer is the stored job, and its first run follows.
describe.skipIf(onPostgres)('create_job whose first run meets another process’s SQLite write lock', () => {
  it('answers 200 with the stored job, not 503 (whose retry would duplicate it), and runs it once the lock is gone', async () => {
    await using app = await startAppWithFakeExecutor({ auto: 'SUCCEEDED' });
    const lock = await lockWhenTold(app);
    // The lock is taken just after the job row is committed, before its first run is recorded.
    afterFlushOf(app.orm, (set) => set.type === 'create' && set.entity instanceof Job && set.entity.name === NAME, lock.take);

    const first = await http(app, 'POST', '/api/v1/scheduler/create_job', newJob);
    await lock.release();
    expect(lock.taken, 'the lock was taken between the insert and the run').toBe(true);
    const jobsAfter503 = await app.orm.em.fork().count(Job, { name: NAME });
    // The client does as told: tries again once the lock is gone.
    const retry = first.status === 503 ? await http(app, 'POST', '/api/v1/scheduler/create_job', newJob) : first;

    expect(retry.status).toBe(200);
    // Before the fix: the first answer is 503 although its job row is committed (jobsAfter503 = 1),
    // and the retry makes a second job.
    expect({ firstStatus: first.status, jobsAfter503, jobsAfterRetry: await app.orm.em.fork().count(Job, { name: NAME }) }).toMatchObject({ jobsAfterRetry: 1 });
    // The answer tells what is stored, and the job's first run happens once the lock is gone.
    const job = await app.orm.em.fork().findOneOrFail(Job, { name: NAME });
    expect(first.body).toEqual({ job_id: job.id, message: 'Job scheduled successfully' });
    const runs = await waitFor(async () => {
      const found = await app.orm.em.fork().find(SyncRun, { jobId: job.id });
      return found.some((run) => run.status === 'SUCCEEDED') ? found : undefined;
    }, { what: 'the first run of the job' });
    expect(runs.map((run) => [run.trigger, run.status])).toEqual([['CREATED', 'SUCCEEDED']]);
  });
});
