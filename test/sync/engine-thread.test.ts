import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { http } from '../helpers/clients.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File, tempDir } from '../helpers/files.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CHUNK = 64 * 1024;

async function createJob(app: TestApp, bucket: string, name: string): Promise<string> {
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: name,
    connector_type: 'S3',
    schedule: 'hourly',
    connector_config: { bucket_name: bucket, prefix: 'data/' },
  });
  expect(created.status).toBe(200);
  return created.body.job_id as string;
}

const finishedRuns = (app: TestApp, jobId: string) => app.orm.em.fork().find(SyncRun, { jobId, finishedAt: { $ne: null } }, { orderBy: { id: 'asc' } });

describe('the engine thread (SYNC_THREAD, the default outside tests)', () => {
  it('runs a job off the service thread: files and rows as before, its events and log lines reach the service, and it ends with the app', async () => {
    await using s3 = await startS3Server();
    const big = seededBytes(5 * CHUNK + 17, 1);
    await s3.putObjects([
      ['data/a.txt', 'alpha'],
      ['data/big.bin', big],
    ]);
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ env: { ...s3.env, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_THREAD: 'true' }, logger });
    const events = app.bus.subscribe();
    const seen: SyncProgressEvent[] = [];
    void (async () => {
      for await (const event of events) seen.push(event);
    })();
    const jobId = await createJob(app, s3.bucket, 'threaded');

    const [run] = await waitFor(async () => {
      const runs = await finishedRuns(app, jobId);
      return runs.length > 0 ? runs : undefined;
    }, 15_000, 'the first run to end');
    expect(run!.status).toBe('SUCCEEDED');
    const thread = app.app.engineThread?.currentThread();
    expect(thread, 'the run went to a thread').toBeDefined();
    expect(thread!.threadId).toBeGreaterThan(0);

    const rows = await app.orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ['data/a.txt', 'PROCESSED'],
      ['data/big.bin', 'PROCESSED'],
    ]);
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/big.bin'))).toBe(sha256(big));

    await waitFor(() => seen.some((e) => e.runId === String(run!.id) && e.kind === 'RUN_FINISHED'), 5_000, 'the RUN_FINISHED event');
    await events.return();
    const kinds = seen.filter((e) => e.runId === String(run!.id)).map((e) => e.kind);
    expect(kinds[0]).toBe('RUN_STARTED');
    expect(kinds.at(-1)).toBe('RUN_FINISHED');
    expect(kinds).toContain('CHUNK');
    const done = seen.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey);
    expect(done.sort()).toEqual(['data/a.txt', 'data/big.bin']);
    expect(lines.some((l) => l.msg === 'sync run started' && l.runId === run!.id)).toBe(true);

    const exited = once(thread!, 'exit');
    await app.stop();
    await exited;
  });

  it('a thread that dies mid-run leaves its run FAILED; the next run gets a new thread and resumes from the checkpoints', async () => {
    await using s3 = await startS3Server();
    const big = seededBytes(40 * CHUNK, 2);
    await s3.putObjects([['data/big.bin', big]]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    let slow = true;
    proxy.setRule((req) => (slow && req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
    await using app = await startTestApp({
      env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_CONCURRENCY: '1', SYNC_THREAD: 'true' },
    });
    const jobId = await createJob(app, s3.bucket, 'thread-dies');
    await waitFor(async () => ((await app.orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0) >= 4 * CHUNK, 20_000, 'some chunks committed');
    const first = app.app.engineThread!.currentThread()!;
    await first.terminate();

    const [failed] = await waitFor(async () => {
      const runs = await finishedRuns(app, jobId);
      return runs.length > 0 ? runs : undefined;
    }, 10_000, 'the run to be recorded');
    expect(failed!).toMatchObject({ status: 'FAILED', error: 'internal error' });
    const committed = (await app.orm.em.fork().findOneOrFail(SyncObject, { jobId })).lastPosition;
    expect(committed).toBeGreaterThanOrEqual(4 * CHUNK);

    slow = false;
    proxy.resetCounts();
    expect((await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId })).status).toBe(200);
    const runs = await waitFor(async () => {
      const list = await finishedRuns(app, jobId);
      return list.length > 1 ? list : undefined;
    }, 20_000, 'the second run to end');
    expect(runs[1]!.status).toBe('SUCCEEDED');
    expect(app.app.engineThread!.currentThread()).not.toBe(first);
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/big.bin'))).toBe(sha256(big));
    // Resumed: the committed prefix was not fetched again.
    expect(proxy.counts.bytesToClient).toBeLessThanOrEqual(big.length - committed + CHUNK);
  });

  it('a graceful stop mid-run ends the thread and hands the run back; the next start resumes it from its checkpoints', async () => {
    await using s3 = await startS3Server();
    const big = seededBytes(40 * CHUNK, 3);
    await s3.putObjects([['data/big.bin', big]]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    let slow = true;
    proxy.setRule((req) => (slow && req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
    await using dir = await tempDir();
    const env = {
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      DB_URL: await freshDbUrl(dir.path),
      DOWNLOAD_ROOT_FOLDER: join(dir.path, 'downloads'),
      S3_CHUNK_SIZE: '64KiB',
      RETRY_COUNT: '0',
      SYNC_CONCURRENCY: '1',
      SYNC_THREAD: 'true',
    };
    const first = await startTestApp({ env });
    const jobId = await createJob(first, s3.bucket, 'stopped');
    await waitFor(async () => ((await first.orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0) >= 4 * CHUNK, 20_000, 'some chunks committed');
    const exited = once(first.app.engineThread!.currentThread()!, 'exit');
    await first.stop();
    await exited;

    await using second = await startTestApp({ env });
    const handedBack = await second.orm.em.fork().findOneOrFail(SyncRun, { jobId });
    const committed = (await second.orm.em.fork().findOneOrFail(SyncObject, { jobId })).lastPosition;
    expect(committed).toBeGreaterThanOrEqual(4 * CHUNK);
    slow = false;
    proxy.resetCounts();
    const run = await waitFor(async () => {
      const found = await second.orm.em.fork().findOne(SyncRun, { id: handedBack.id, finishedAt: { $ne: null } });
      return found ?? undefined;
    }, 20_000, 'the resumed run to end');
    expect(run.status).toBe('SUCCEEDED');
    expect(await second.orm.em.fork().count(SyncRun, { jobId })).toBe(1);
    expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, 'data/big.bin'))).toBe(sha256(big));
    expect(proxy.counts.bytesToClient).toBeLessThanOrEqual(big.length - committed + CHUNK);
  });

  it('SYNC_THREAD=false runs on the service thread, with the same result', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['data/a.txt', 'alpha']]);
    await using app = await startTestApp({ env: { ...s3.env, RETRY_COUNT: '0', SYNC_THREAD: 'false' } });
    expect(app.app.engineThread).toBeUndefined();
    const jobId = await createJob(app, s3.bucket, 'in-process');
    const [run] = await waitFor(async () => {
      const runs = await finishedRuns(app, jobId);
      return runs.length > 0 ? runs : undefined;
    }, 15_000, 'the run to end');
    expect(run!.status).toBe('SUCCEEDED');
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/a.txt'))).toBe(sha256('alpha'));
  });
});
