import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

// PostgreSQL goes away right after create_job's job row is committed: the answer must say the job
// exists (200), since a client told "try again later" would create it a second time.
describe.runIf(onPostgres)('create_job when PostgreSQL goes away after its job row is committed', () => {
  it('answers 200 with the stored job, and a retry is not needed: one job once the database is back', async () => {
    await using relay = await startRelayedPostgres();
    await using app = await startTestApp({ env: { DB_URL: relay.dbUrl } });
    afterFlushOf(app.orm, (set) => set.type === 'create' && set.entity instanceof Job, relay.cut);

    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'cut after insert',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'bkt', prefix: 'p/' },
    });
    await relay.mend();

    expect({ status: created.status, message: created.body.message }).toEqual({ status: 200, message: 'Job scheduled successfully' });
    const jobs = await waitFor(async () => {
      const listed = await http(app, 'GET', '/api/v1/scheduler/list_jobs');
      return listed.status === 200 ? (listed.body.jobs as Array<{ job_id: string }>) : null;
    });
    expect(jobs.map((job) => job.job_id)).toEqual([created.body.job_id]);
    // Its first run was left to the scheduler, which starts it once the database answers.
    const firstRun = await waitFor(() => app.orm.em.fork().findOne(SyncRun, { jobId: created.body.job_id as string }), 10_000, 'the first run');
    expect(firstRun.trigger).toBe('CREATED');
  });
});
