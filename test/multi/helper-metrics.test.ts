import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { metricValue as sample } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

describe("a helper instance's metrics of a run another instance holds", () => {
  it('objects the helper had in flight when the holder cancelled the run are not left counted in flight on its /metrics', async () => {
    // About sixteen seconds per object, in 64 KiB checkpoints: the helper's objects are still in flight when the cancel comes.
    const objects = numberedObjects('big/', 24, 1024 * 1024);
    await using source = await startThrottledSource(objects, 64 * 1024);
    const env = source.instanceEnv({ SYNC_CONCURRENCY: '2', RETRY_COUNT: '0', S3_CHUNK_SIZE: '64KiB' });
    const holder = await startInstance({ ...env, INSTANCE_ID: 'holder' });
    try {
      const logs = captureLogs();
      await using helper = await startTestApp({ env: { ...env, INSTANCE_ID: 'helper' }, logger: logs.logger });
      const job = await createPausedJobInService(helper, { name: 'helped', schedule: 'daily', bucket: source.s3.bucket, prefix: 'big/' });
      const job_id = job.id;
      expect((await http(holder.url, 'POST', '/api/v1/scheduler/trigger_job', { job_id })).status).toBe(200);
      const scrape = async () => (await http(helper, 'GET', '/metrics')).text;
      await waitFor(async () => (sample(await scrape(), 'dss_job_objects_in_flight', { job_id }) ?? 0) >= 1, 30_000, 'the helper to have an object in flight');

      expect((await http(holder.url, 'POST', '/api/v1/scheduler/cancel_run', { job_id })).status).toBe(200);
      // The helper sees the cancel in the database and stops; the holder's RUN_FINISHED never reaches
      // its metrics, which count this process's own events only.
      await waitFor(() => logs.lines.some((line) => line.msg === 'helped with a sync run held by another instance'), 20_000, 'the helper to stop');
      expect(sample(await scrape(), 'dss_job_objects_in_flight', { job_id })).toBeUndefined();
    } finally {
      await holder.kill9();
    }
  }, 120_000);
});
