import { describe, expect, it } from 'vitest';
import { http, wsClient } from '../helpers/clients.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { metricValue as sample } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

describe('per-job metrics after a real sync', () => {
  it('count bytes, objects, outcomes, durations, retries by cause, webhooks and subscribers by job; a deleted job leaves no series', async () => {
    await using s3 = await startS3Server();
    const big = Buffer.alloc(200 * 1024, 3);
    await s3.putObjects([
      ['data/a.txt', 'alpha'],
      ['data/big.bin', big],
      ['data/empty.txt', ''],
    ]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    const firstGet = new Set<string>();
    // The first GET of each object fails once: a.txt throttled (503 SlowDown), big.bin a 500.
    proxy.setRule((req) => {
      if (req.method !== 'GET' || !req.key || firstGet.has(req.key)) return undefined;
      firstGet.add(req.key);
      if (req.key === 'data/a.txt') return { kind: 'status', status: 503, code: 'SlowDown' };
      if (req.key === 'data/big.bin') return { kind: 'status', status: 500, code: 'InternalError' };
      return undefined;
    });
    await using receiver = await startWebhookReceiver();
    await using app = await startTestApp({
      env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '2', RETRY_DELAY: '0.01', SYNC_THREAD: 'true' },
      build: { webhookPollMs: 10 },
    });

    const client = wsClient(app.wsUrl);
    const dispose = client.subscribe({ query: 'subscription { syncProgress { kind } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    try {
      await waitFor(async () => sample((await http(app, 'GET', '/metrics')).text, 'dss_subscribers') === 1, 5_000, 'the subscription');
      const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
        job_name: 'metered',
        connector_type: 'S3',
        schedule: 'hourly',
        connector_config: { bucket_name: s3.bucket, prefix: 'data/' },
        webhooks: [{ url: receiver.url, events: ['RUN_SUCCEEDED'] }],
      });
      expect(created.status).toBe(200);
      const job_id = created.body.job_id as string;

      const text = await waitFor(async () => {
        const scraped = (await http(app, 'GET', '/metrics')).text;
        const done = sample(scraped, 'dss_job_runs_total', { job_id, status: 'SUCCEEDED' }) === 1;
        return done && sample(scraped, 'dss_webhook_deliveries_total', { job_id, outcome: 'delivered' }) === 1 ? scraped : undefined;
      }, 15_000, 'the run and its webhook');

      expect(sample(text, 'dss_job_bytes_downloaded_total', { job_id })).toBe(5 + big.length);
      expect(sample(text, 'dss_job_objects_total', { job_id, result: 'done' })).toBe(2);
      expect(sample(text, 'dss_job_objects_total', { job_id, result: 'skipped' })).toBe(1);
      expect(sample(text, 'dss_job_objects_total', { job_id, result: 'failed' })).toBeUndefined();
      expect(sample(text, 'dss_job_run_duration_seconds_count', { job_id })).toBe(1);
      expect(sample(text, 'dss_job_run_duration_seconds_bucket', { job_id, le: '+Inf' })).toBe(1);
      expect(sample(text, 'dss_sync_retries_total', { job_id, cause: 'throttled' })).toBe(1);
      expect(sample(text, 'dss_sync_retries_total', { job_id, cause: 'server_error' })).toBe(1);
      expect(sample(text, 'dss_job_objects_in_flight', { job_id })).toBeUndefined();
      expect(sample(text, 'dss_subscribers')).toBe(1);
      expect(sample(text, 'dss_subscriber_events_dropped')).toBe(0);

      const deleted = await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id });
      expect(deleted.status).toBe(200);
      const after = (await http(app, 'GET', '/metrics')).text;
      expect(after).not.toContain(job_id);
      expect(sample(after, 'dss_sync_runs_finished_total', { status: 'SUCCEEDED' })).toBe(1);
    } finally {
      dispose();
      await client.dispose();
    }
    await waitFor(async () => sample((await http(app, 'GET', '/metrics')).text, 'dss_subscribers') === 0, 5_000, 'the subscription to end');
  });

  it('show an object in flight while it downloads, and none once the run ends; triggers meanwhile count as SKIPPED, per job and process-wide', async () => {
    await using s3 = await startS3Server();
    await s3.putObject('slow/big.bin', Buffer.alloc(1024 * 1024, 9));
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // About two seconds for the object: time for several scrapes while it is in flight.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 512 * 1024 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB' } });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'in flight',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: s3.bucket, prefix: 'slow/' },
    });
    const job_id = created.body.job_id as string;
    await waitFor(async () => sample((await http(app, 'GET', '/metrics')).text, 'dss_job_objects_in_flight', { job_id }) === 1, 10_000, 'the object in flight');
    // Two triggers while the run goes: one SKIPPED row counting both, each one a skipped run in the metric.
    for (let i = 0; i < 2; i++) expect((await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id })).status).toBe(200);
    const done = await waitFor(async () => {
      const text = (await http(app, 'GET', '/metrics')).text;
      return sample(text, 'dss_job_runs_total', { job_id, status: 'SUCCEEDED' }) === 1 ? text : undefined;
    }, 15_000, 'the run to end');
    expect(sample(done, 'dss_job_objects_in_flight', { job_id })).toBeUndefined();
    expect(sample(done, 'dss_job_bytes_downloaded_total', { job_id })).toBe(1024 * 1024);
    expect(sample(done, 'dss_job_runs_total', { job_id, status: 'SKIPPED' })).toBe(2);
    expect(sample(done, 'dss_sync_runs_finished_total', { status: 'SKIPPED' })).toBe(2);
    expect(sample(done, 'dss_sync_runs_finished_total', { status: 'SUCCEEDED' })).toBe(1);
  });
});
