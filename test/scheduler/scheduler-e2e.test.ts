import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { http } from '../helpers/clients.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { sha256, sha256File } from '../helpers/files.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { waitFor } from '../helpers/poll.js';

const runsOf = (orm: Orm, jobId: string) => orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });

async function createJob(app: { url: string }, bucket: string, schedule: string): Promise<string> {
  const res = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'e2e',
    connector_type: 'S3',
    schedule,
    connector_config: { bucket_name: bucket, prefix: '' },
  });
  expect(res.status).toBe(200);
  return res.body.job_id as string;
}

describe('scheduler with the real sync engine', () => {
  it('a six-field every-second cron syncs new objects on its ticks; a missing bucket fails its run and keeps its schedule', async () => {
    await using s3 = await startS3Server();
    await s3.putObject('a.txt', 'first object');
    await using app = await startTestApp({ env: { ...s3.env, RETRY_COUNT: '0', MIN_SCHEDULE_INTERVAL: '1s' } });
    const id = await createJob(app, s3.bucket, '*/1 * * * * *');
    const root = join(app.config.downloadRoot, id);
    await waitFor(() => existsSync(join(root, 'a.txt')), 10_000, 'a.txt synced');

    await s3.putObject('b.txt', 'second object');
    await waitFor(() => existsSync(join(root, 'b.txt')), 10_000, 'b.txt synced by a scheduled run');
    expect(await sha256File(join(root, 'b.txt'))).toBe(sha256('second object'));
    // The run that wrote b.txt may still be recording its end (a networked database takes longer).
    await waitFor(async () => (await runsOf(app.orm, id)).some((r) => r.trigger === 'SCHEDULE' && r.status === 'SUCCEEDED'), 10_000, 'a scheduled run to succeed');
    await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: id });
    await waitFor(() => !app.runner.isRunning(id), 10_000, 'the last run to end');

    const runs = (await runsOf(app.orm, id)).filter((r) => r.status !== 'SKIPPED');
    expect(runs[0]).toMatchObject({ trigger: 'CREATED', status: 'SUCCEEDED' });
    expect(runs.some((r) => r.trigger === 'SCHEDULE' && r.status === 'SUCCEEDED')).toBe(true);
    // Never two runs of the job at once: each run starts after the previous one ended.
    for (let i = 1; i < runs.length; i += 1) {
      expect(runs[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAt!.getTime());
    }

    const missing = await createJob(app, 'no-such-bucket', 'hourly');
    const failed = await waitFor(async () => (await runsOf(app.orm, missing)).find((r) => r.status === 'FAILED'), 10_000, 'failed run');
    expect(failed.error).toMatch(/NoSuchBucket.*bucket does not exist/);
    // The FAILED row is committed a moment before the runner records the job's status and frees its slot.
    await waitFor(() => !app.runner.isRunning(missing), 10_000, 'the failed run to free its slot');
    const job = (await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${missing}`)).body.job;
    expect(job).toMatchObject({ job_status: 'FAILED', next_run_at: expect.stringMatching(/GMT$/) });
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
  });

  it('a run stopped by a graceful shutdown is resumed by the next process from its checkpoints', async () => {
    await using s3 = await startS3Server();
    // 64 chunks of 64 KiB.
    const body = randomBytes(4 * 1024 * 1024);
    await s3.putObject('big.bin', body);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // A slow link (4 s for the object), so the stop lands mid-object.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 1024 * 1024 } : undefined));
    const shared = await mkdtemp(join(tmpdir(), 'scheduler-e2e-'));
    const env = {
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      DB_URL: await freshDbUrl(shared),
      DOWNLOAD_ROOT_FOLDER: join(shared, 'downloads'),
      S3_CHUNK_SIZE: '64KiB',
      SYNC_CONCURRENCY: '1',
    };
    try {
      const first = await startTestApp({ env });
      const id = await createJob(first, s3.bucket, 'hourly');
      const row = () => first.orm.em.fork().findOne(SyncObject, { jobId: id, key: 'big.bin' });
      await waitFor(async () => ((await row())?.lastPosition ?? 0) > 0, 10_000, 'a committed chunk');
      await first.stop();
      // What the stopped process left: the run still RUNNING (to be resumed), the object part-way.
      const between = await initOrm(env.DB_URL);
      const [cut] = await runsOf(between, id);
      const part = await between.em.fork().findOneOrFail(SyncObject, { jobId: id, key: 'big.bin' });
      await between.close(true);
      expect(cut).toMatchObject({ status: 'RUNNING', finishedAt: null });
      expect(part.lastPosition).toBeGreaterThan(0);
      expect(part.lastPosition).toBeLessThan(body.length);

      proxy.setRule(undefined);
      s3.resetCounts();
      await using second = await startTestApp({ env });
      const runs = await waitFor(async () => {
        const all = await runsOf(second.orm, id);
        return all.length === 1 && all[0]!.status === 'SUCCEEDED' ? all : null;
      }, 10_000, 'the resumed run to finish');
      expect(runs[0]!.trigger).toBe('CREATED');
      expect(await sha256File(join(shared, 'downloads', id, 'big.bin'))).toBe(sha256(body));
      // Resumed from the checkpoint: the bytes fetched again are less than the whole object.
      expect(s3.counts.getBytes).toBeLessThan(body.length);
      expect((await second.orm.em.fork().findOneOrFail(Job, { id })).status).toBe('SCHEDULED');
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });
});
