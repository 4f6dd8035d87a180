import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';
import { waitFor } from '../helpers/poll.js';

const createBody = { job_name: 'nightly', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bucket-a', prefix: 'data/' } };

async function createJob(app: { url: string }, body: Record<string, unknown> = createBody): Promise<string> {
  const res = await http(app, 'POST', '/api/v1/scheduler/create_job', body);
  expect(res.status).toBe(200);
  return res.body.job_id as string;
}

describe('REST lifecycle routes', () => {
  it('a job deleted while other calls on it are under way: they answer 404 (or 409), never 500, and one delete wins', async () => {
    // The run takes 50 ms to stop, as a sync does until its next chunk boundary: every call waits for it, then goes on together.
    await using app = await startAppWithFakeExecutor({ stopAfterMs: 50 });
    const statuses = new Set<number>();
    for (let round = 0; round < 5; round += 1) {
      const id = await createJob(app);
      await waitFor(() => app.fake.calls.length === round + 1);
      const answers = await Promise.all([
        http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id }),
        http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id }),
        http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id }),
        http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: id }),
        http(app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: id }),
        http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: { prefix: `round-${round}/` } }),
      ]);
      for (const answer of answers) {
        statuses.add(answer.status);
        expect([200, 404, 409], JSON.stringify(answer.body)).toContain(answer.status);
        if (answer.status === 404) expect(answer.body).toEqual({ message: 'Job not found' });
      }
      expect(answers.slice(0, 2).filter((answer) => answer.status === 200), 'deletes that answered 200').toHaveLength(1);
      expect((await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${id}`)).status).toBe(404);
    }
    expect(statuses.has(404)).toBe(true);
  });

  it('update_job changes name, schedule, timezone and prefix; bad input is a 400 naming the field', async () => {
    await using app = await startAppWithFakeExecutor();
    const id = await createJob(app);
    const ok = await http(app, 'POST', '/api/v1/scheduler/update_job', {
      job_id: `${id} `,
      job_name: 'renamed',
      schedule: '0 9 * * *',
      timezone: 'Europe/Paris',
      connector_config: { prefix: 'other/' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      message: 'Job updated successfully',
      job: { job_id: id, job_name: 'renamed', schedule: '0 9 * * *', timezone: 'Europe/Paris', connector_config: { bucket_name: 'bucket-a', prefix: 'other/' } },
    });
    // 09:00 Paris is 08:00 GMT in winter.
    expect(ok.body.job.next_run_at).toMatch(/ 08:00:00 GMT$/);

    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ job_id: id, schedule: 'fortnightly' }, 400, /^Invalid schedule, supported one: \['quinqueminutely'/],
      [{ job_id: id, schedule: '0 9 * * *', timezone: 'Mars/Olympus' }, 400, /Invalid timezone/],
      [{ job_id: id, job_name: 'ab' }, 400, /^Invalid job name, must be between 3 and 25 characters$/],
      [{ job_id: id, connector_config: { bucket_name: 'other' } }, 400, /'bucket_name' cannot be updated/],
      [{ job_name: 'abc' }, 400, /^Missing key: 'job_id'$/],
      [{ job_id: 'nope' }, 400, /^Invalid job ID$/],
      [{ job_id: randomUUID() }, 404, /^Job not found$/],
    ];
    for (const [body, status, message] of cases) {
      const res = await http(app, 'POST', '/api/v1/scheduler/update_job', body);
      expect([res.status, res.body.message]).toEqual([status, expect.stringMatching(message)]);
    }
    expect((await http(app, 'POST', '/api/v1/scheduler/update_job', 'not json')).status).toBe(400);
    const listed = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${id}`);
    expect(listed.body.job).toMatchObject({ job_name: 'renamed', schedule: '0 9 * * *' });
  });

  it('pause_job cancels the running sync; resume_job, trigger_job and cancel_run work and refuse a wrong state', async () => {
    await using app = await startAppWithFakeExecutor();
    const id = await createJob(app);
    await waitFor(() => app.fake.calls.length === 1);

    const paused = await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ message: 'Job paused successfully', job: { job_status: 'PAUSED', next_run_at: null } });
    expect(app.fake.calls[0]!.signal.aborted).toBe(true);
    expect(await app.orm.em.fork().findOne(SyncRun, { jobId: id })).toMatchObject({ status: 'CANCELLED' });
    expect(await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id })).toMatchObject({
      status: 409,
      body: { message: 'Job is already paused' },
    });

    const resumed = await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: id });
    expect(resumed.body).toMatchObject({ message: 'Job resumed successfully', job: { job_status: 'SCHEDULED' } });
    expect(resumed.body.job.next_run_at).toEqual(expect.stringMatching(/GMT$/));
    expect((await http(app, 'POST', '/api/v1/scheduler/resume_job', { job_id: id })).status).toBe(409);

    const triggered = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: id });
    expect(triggered.body).toMatchObject({
      message: 'Job triggered successfully',
      job: { job_status: 'RUNNING' },
      run: { job_id: id, trigger: 'MANUAL', status: 'RUNNING', bytes_done: '0' },
    });
    const skipped = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: id });
    expect(skipped.body).toMatchObject({ run: { status: 'SKIPPED' }, message: 'Run skipped: the previous run is still in progress' });

    const cancelled = await http(app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: id });
    expect(cancelled.body).toMatchObject({
      message: 'Run cancelled successfully',
      job: { job_status: 'CANCELLED' },
      run: { run_id: triggered.body.run.run_id, status: 'CANCELLED' },
    });
    expect(await http(app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: id })).toMatchObject({
      status: 409,
      body: { message: 'Job has no run in progress' },
    });
    for (const path of ['pause_job', 'resume_job', 'trigger_job', 'cancel_run']) {
      expect((await http(app, 'POST', `/api/v1/scheduler/${path}`, { job_id: 'x' })).body).toEqual({ message: 'Invalid job ID' });
      expect((await http(app, 'POST', `/api/v1/scheduler/${path}`, { job_id: randomUUID() })).status).toBe(404);
      expect((await http(app, 'POST', `/api/v1/scheduler/${path}`, {})).body).toEqual({ message: "Missing key: 'job_id'" });
    }
  });

  it('delete_jobs is all-or-nothing on malformed ids, cancels running syncs and reports unknown ids', async () => {
    await using app = await startAppWithFakeExecutor();
    const a = await createJob(app);
    const b = await createJob(app, { ...createBody, paused: true });
    const unknown = randomUUID();

    const bad = await http(app, 'DELETE', '/api/v1/scheduler/delete_jobs', { job_ids: [a, 'oops'] });
    expect(bad).toMatchObject({ status: 400, body: { message: 'Invalid job ID: job_ids[1]' } });
    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_jobs', { job_ids: a })).status).toBe(400);
    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_jobs', {})).body).toEqual({ message: "Missing key: 'job_ids'" });
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toHaveLength(2);

    const res = await http(app, 'DELETE', '/api/v1/scheduler/delete_jobs', { job_ids: [a, ` ${b}`, unknown] });
    expect(res).toMatchObject({
      status: 200,
      body: { deleted_job_ids: [a, b], unknown_job_ids: [unknown], message: 'Jobs deleted successfully' },
    });
    expect(app.fake.calls[0]!.signal.aborted).toBe(true);
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);
    expect((await http(app, 'POST', '/api/v1/scheduler/delete_jobs', { job_ids: [a] })).body).toMatchObject({
      deleted_job_ids: [],
      unknown_job_ids: [a],
    });
  });
});
