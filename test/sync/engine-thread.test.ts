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

/** The job's ended runs, oldest first, once there are at least `count`. */
const finishedRuns = (app: TestApp, jobId: string, count: number, what: string) =>
  waitFor(async () => {
    const runs = await app.orm.em.fork().find(SyncRun, { jobId, finishedAt: { $ne: null } }, { orderBy: { id: 'asc' } });
    return runs.length >= count ? runs : undefined;
  }, 20_000, what);

/** One 40-chunk object behind a proxy that trickles it out until `fast()`: a run is caught mid-object. */
async function slowObject(seed: number) {
  const s3 = await startS3Server();
  const big = seededBytes(40 * CHUNK, seed);
  await s3.putObjects([['data/big.bin', big]]);
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  let slow = true;
  proxy.setRule((req) => (slow && req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
  const env = { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_CONCURRENCY: '1', SYNC_THREAD: 'true' };
  const fast = () => {
    slow = false;
    proxy.resetCounts();
  };
  const stop = async () => {
    await proxy.stop();
    await s3.stop();
  };
  return { bucket: s3.bucket, big, env, proxy, fast, [Symbol.asyncDispose]: stop };
}

/** The object's committed bytes once at least four chunks are. */
const fourChunksCommitted = (app: TestApp, jobId: string) =>
  waitFor(async () => {
    const committed = (await app.orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0;
    return committed >= 4 * CHUNK ? committed : undefined;
  }, 20_000, 'some chunks committed');

describe('the engine thread (SYNC_THREAD, the default outside tests)', () => {
  it('runs a job off the service thread: files and rows as before, its events and log lines reach the service, and it ends with the app', async () => {
    await using s3 = await startS3Server();
    const big = seededBytes(5 * CHUNK + 17, 1);
    // Enough small objects that a batched row commit publishes hundreds of events in one turn.
    const small = Array.from({ length: 200 }, (_, i): [string, string] => [`data/small/${String(i).padStart(3, '0')}.txt`, `small ${i}`]);
    await s3.putObjects([['data/a.txt', 'alpha'], ['data/big.bin', big], ...small]);
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ env: { ...s3.env, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_THREAD: 'true' }, logger });
    const events = app.bus.subscribe();
    const seen: SyncProgressEvent[] = [];
    void (async () => {
      for await (const event of events) seen.push(event);
    })();
    const jobId = await createJob(app, s3.bucket, 'threaded');

    const [run] = await finishedRuns(app, jobId, 1, 'the first run to end');
    expect(run!.status).toBe('SUCCEEDED');
    const thread = app.app.engineThread?.currentThread();
    expect(thread, 'the run went to a thread').toBeDefined();
    expect(thread!.threadId).toBeGreaterThan(0);

    const rows = await app.orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ['data/a.txt', 'PROCESSED'],
      ['data/big.bin', 'PROCESSED'],
      ...small.map(([key]) => [key, 'PROCESSED']),
    ]);
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/big.bin'))).toBe(sha256(big));

    await waitFor(() => seen.some((e) => e.runId === String(run!.id) && e.kind === 'RUN_FINISHED'), 5_000, 'the RUN_FINISHED event');
    await events.return();
    const kinds = seen.filter((e) => e.runId === String(run!.id)).map((e) => e.kind);
    expect(kinds[0]).toBe('RUN_STARTED');
    expect(kinds.at(-1)).toBe('RUN_FINISHED');
    expect(kinds).toContain('CHUNK');
    const done = seen.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey);
    expect(done.sort()).toEqual(['data/a.txt', 'data/big.bin', ...small.map(([key]) => key)]);
    // Events cross in batches but keep their order: each object's last CHUNK comes before its OBJECT_DONE.
    const ofRun = seen.filter((e) => e.runId === String(run!.id));
    for (const key of done) {
      const lastChunk = ofRun.findLastIndex((e) => e.kind === 'CHUNK' && e.objectKey === key);
      expect(lastChunk, String(key)).toBeLessThan(ofRun.findIndex((e) => e.kind === 'OBJECT_DONE' && e.objectKey === key));
    }
    expect(lines.some((l) => l.msg === 'sync run started' && l.runId === run!.id)).toBe(true);

    const exited = once(thread!, 'exit');
    await app.stop();
    await exited;
  });

  it('a thread that dies mid-run leaves its run FAILED; the next run gets a new thread and resumes from the checkpoints', async () => {
    await using source = await slowObject(2);
    await using app = await startTestApp({ env: source.env });
    const jobId = await createJob(app, source.bucket, 'thread-dies');
    await fourChunksCommitted(app, jobId);
    const first = app.app.engineThread!.currentThread()!;
    await first.terminate();

    const [failed] = await finishedRuns(app, jobId, 1, 'the run to be recorded');
    expect(failed!).toMatchObject({ status: 'FAILED', error: 'internal error' });
    const committed = (await app.orm.em.fork().findOneOrFail(SyncObject, { jobId })).lastPosition;
    expect(committed).toBeGreaterThanOrEqual(4 * CHUNK);

    source.fast();
    expect((await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: jobId })).status).toBe(200);
    const runs = await finishedRuns(app, jobId, 2, 'the second run to end');
    expect(runs[1]!.status).toBe('SUCCEEDED');
    expect(app.app.engineThread!.currentThread()).not.toBe(first);
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/big.bin'))).toBe(sha256(source.big));
    // Resumed: the committed prefix was not fetched again.
    expect(source.proxy.counts.bytesToClient).toBeLessThanOrEqual(source.big.length - committed + CHUNK);
  });

  it('a graceful stop mid-run ends the thread and hands the run back; the next start resumes it from its checkpoints', async () => {
    await using source = await slowObject(3);
    await using dir = await tempDir();
    const env = { ...source.env, DB_URL: await freshDbUrl(dir.path), DOWNLOAD_ROOT_FOLDER: join(dir.path, 'downloads') };
    const first = await startTestApp({ env });
    const jobId = await createJob(first, source.bucket, 'stopped');
    await fourChunksCommitted(first, jobId);
    const exited = once(first.app.engineThread!.currentThread()!, 'exit');
    await first.stop();
    await exited;

    await using second = await startTestApp({ env });
    const handedBack = await second.orm.em.fork().findOneOrFail(SyncRun, { jobId });
    const committed = (await second.orm.em.fork().findOneOrFail(SyncObject, { jobId })).lastPosition;
    expect(committed).toBeGreaterThanOrEqual(4 * CHUNK);
    source.fast();
    const [run] = await finishedRuns(second, jobId, 1, 'the resumed run to end');
    expect(run!).toMatchObject({ id: handedBack.id, status: 'SUCCEEDED' });
    expect(await second.orm.em.fork().count(SyncRun, { jobId })).toBe(1);
    expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, 'data/big.bin'))).toBe(sha256(source.big));
    expect(source.proxy.counts.bytesToClient).toBeLessThanOrEqual(source.big.length - committed + CHUNK);
  });

  it('SYNC_THREAD=false runs on the service thread, with the same result', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['data/a.txt', 'alpha']]);
    await using app = await startTestApp({ env: { ...s3.env, RETRY_COUNT: '0', SYNC_THREAD: 'false' } });
    expect(app.app.engineThread).toBeUndefined();
    const jobId = await createJob(app, s3.bucket, 'in-process');
    const [run] = await finishedRuns(app, jobId, 1, 'the run to end');
    expect(run!.status).toBe('SUCCEEDED');
    expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/a.txt'))).toBe(sha256('alpha'));
  });
});
