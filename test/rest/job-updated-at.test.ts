import { describe, expect, it } from 'vitest';
import { gqlData, http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';

const createBody = { job_name: 'nightly', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bucket-a', prefix: 'data/' } };

/** The job's status and updatedAt (ms), as a client polling for changes reads them. */
async function readJob(app: { graphqlUrl: string }, id: string): Promise<{ status: string; updatedAt: number }> {
  const { job } = await gqlData<{ job: { status: string; updatedAt: string } }>(app, 'query($id: ID!) { job(id: $id) { status updatedAt } }', { id });
  return { status: job.status, updatedAt: Date.parse(job.updatedAt) };
}

/** Waits until the job's status is `status`, then checks its updatedAt moved past `since`. */
async function expectChangedTo(app: { graphqlUrl: string }, id: string, status: string, since: number): Promise<number> {
  const job = await waitFor(async () => {
    const read = await readJob(app, id);
    return read.status === status ? read : null;
  });
  expect(job.updatedAt, `updatedAt after the job became ${status}`).toBeGreaterThan(since);
  return job.updatedAt;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

// A client that polls list_jobs / jobs for rows whose updated_at moved must see status changes too.
describe("a job's updated_at", () => {
  it('moves with each status change: a run starting and ending, a pause, a resume, a cancel', async () => {
    await using app = await startAppWithFakeExecutor();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', createBody);
    const id = created.body.job_id as string;
    await waitFor(() => app.fake.calls.length === 1);
    let at = (await readJob(app, id)).updatedAt;

    await tick();
    await app.fake.calls[0]!.finish('SUCCEEDED');
    at = await expectChangedTo(app, id, 'SCHEDULED', at);

    await tick();
    expect((await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: id })).status).toBe(200);
    await waitFor(() => app.fake.calls.length === 2);
    at = await expectChangedTo(app, id, 'RUNNING', at);

    await tick();
    expect((await http(app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: id })).status).toBe(200);
    at = await expectChangedTo(app, id, 'CANCELLED', at);

    await tick();
    expect((await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id })).status).toBe(200);
    at = await expectChangedTo(app, id, 'PAUSED', at);

    await tick();
    expect((await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: id })).status).toBe(200);
    await expectChangedTo(app, id, 'SCHEDULED', at);
  });
});
