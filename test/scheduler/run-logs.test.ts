import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';

describe('run logs', () => {
  it('every line of a run, from the scheduler to a retried GET, carries its jobId and runId', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['data/a.txt', 'alpha'],
      ['data/b.bin', Buffer.alloc(150 * 1024, 1)],
    ]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    let failed = false;
    proxy.setRule((req) => {
      if (failed || req.method !== 'GET' || req.key !== 'data/b.bin') return undefined;
      failed = true;
      return { kind: 'status', status: 503, code: 'SlowDown' };
    });
    const { logger, lines, raw } = captureLogs();
    await using app = await startTestApp({
      env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '2', RETRY_DELAY: '0.01', SYNC_THREAD: 'true' },
      logger,
    });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'logged',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: s3.bucket, prefix: 'data/' },
    });
    const jobId = created.body.job_id as string;
    const run = await waitFor(() => app.orm.em.fork().findOne(SyncRun, { jobId, finishedAt: { $ne: null } }), 15_000, 'the run to end');
    expect(run.status).toBe('SUCCEEDED');
    await waitFor(() => lines.some((l) => l.msg === 'sync run ended'), 5_000, 'the end of the run to be logged');
    await app.stop();

    const ofRun = (msg: string) => lines.filter((l) => l.msg === msg);
    for (const msg of ['sync run started', 'retrying GET', 'sync run finished', 'sync run ended']) {
      expect(ofRun(msg).length, msg).toBeGreaterThan(0);
      for (const line of ofRun(msg)) expect(line, msg).toMatchObject({ jobId, runId: run.id });
    }
    // No line names a run without its job, and no line repeats a binding.
    for (const line of lines.filter((l) => l.runId !== undefined)) expect(line.jobId).toBe(jobId);
    for (const text of raw) expect(text.match(/"runId":/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('a failed run is logged at warn, so LOG_LEVEL=warn shows it; a successful one at info', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['data/a.txt', 'alpha']]);
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ env: { ...s3.env, RETRY_COUNT: '0' }, logger });
    const runOf = async (bucket: string) => {
      const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
        job_name: bucket,
        connector_type: 'S3',
        schedule: 'hourly',
        connector_config: { bucket_name: bucket, prefix: 'data/' },
      });
      const jobId = created.body.job_id as string;
      const run = await waitFor(() => app.orm.em.fork().findOne(SyncRun, { jobId, finishedAt: { $ne: null } }), 15_000, 'the run to end');
      return waitFor(() => lines.find((l) => l.msg === 'sync run finished' && l.runId === run.id), 5_000, 'its last line');
    };
    expect(await runOf('no-such-bucket')).toMatchObject({ level: 40, status: 'FAILED' });
    expect(await runOf(s3.bucket)).toMatchObject({ level: 30, status: 'SUCCEEDED' });
  });
});
