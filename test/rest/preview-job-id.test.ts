import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';

/**
 * Contract §2: ids are accepted with surrounding whitespace; `job_id` is the job's UUID everywhere
 * (create_job, list_jobs, objects, runs all answer it in its stored, lower-case form).
 */
describe('GET /api/v1/scheduler/upcoming_runs?job_id=', () => {
  it("answers the job's own id, not the query text as typed", async () => {
    await using app = await startTestApp();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'nightly', connector_type: 'S3', schedule: 'hourly', paused: true, connector_config: { bucket_name: 'my-bucket' },
    });
    const jobId: string = created.body.job_id;
    const listed = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${encodeURIComponent(` ${jobId.toUpperCase()} `)}`);
    expect(listed.body.job.job_id).toBe(jobId);
    const res = await http(app, 'GET', `/api/v1/scheduler/upcoming_runs?job_id=${encodeURIComponent(` ${jobId.toUpperCase()} `)}&count=2`);
    expect(res.status).toBe(200);
    expect(res.body.upcoming_runs).toHaveLength(2);
    expect(res.body.job_id).toBe(jobId);
  });
});
