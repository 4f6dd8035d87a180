import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

describe('a pause landing while an update of the prefix stops the run', () => {
  it('the paused job gets no new run from the update', async () => {
    // A cancelled run takes 200 ms to reach its chunk boundary, as a sync does.
    await using app = await startAppWithFakeExecutor({ stopAfterMs: 200 });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'nightly',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'bucket-a', prefix: 'old/' },
    });
    const id = created.body.job_id as string;
    const first = await waitFor(() => app.fake.calls[0]);

    const update = http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: { prefix: 'new/' } });
    // The update is stopping the run: the user pauses the job now.
    await waitFor(() => first.signal.aborted);
    const pause = await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id });
    expect(pause.status).toBe(200);
    expect(pause.body.job).toMatchObject({ job_status: 'PAUSED', next_run_at: null });
    expect((await update).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const running = await app.orm.em.fork().find(SyncRun, { jobId: id, status: 'RUNNING' });
    // The update's rerun (trigger UPDATE) must not start once the pause has answered.
    expect(running.map((run) => run.trigger), 'RUNNING runs of the paused job').toEqual([]);
    expect(app.fake.calls).toHaveLength(1);
  });
});
