import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { gql, wsClient } from '../helpers/clients.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { collect, createPausedJob, triggerJob, untilLive } from '../live/live-env.js';

const CHUNK = 64 * 1024;

/** One 40-chunk object behind a proxy that trickles it out: a run is caught mid-object. */
async function slowObject(seed: number) {
  const s3 = await startS3Server();
  const big = seededBytes(40 * CHUNK, seed);
  await s3.putObjects([['data/big.bin', big]]);
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  proxy.setRule((req) => (req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
  const env = { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_CONCURRENCY: '1' };
  const stop = async () => {
    await proxy.stop();
    await s3.stop();
  };
  return { bucket: s3.bucket, big, env, [Symbol.asyncDispose]: stop };
}

function record(app: TestApp) {
  const queue = app.bus.subscribe();
  const seen: SyncProgressEvent[] = [];
  void (async () => {
    for await (const event of queue) seen.push(event);
  })();
  return { seen, stop: () => queue.return() };
}

const someChunksCommitted = (app: TestApp, jobId: string) =>
  waitFor(async () => ((await app.orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0) >= 2 * CHUNK, 20_000, 'some chunks committed');

describe('a terminal RUN_FINISHED for every run end', () => {
  it('engine thread dies mid-run: the run is recorded FAILED, and subscribers get RUN_FINISHED FAILED', async () => {
    await using source = await slowObject(7);
    await using app = await startTestApp({ env: { ...source.env, SYNC_THREAD: 'true' } });
    const jobId = await createPausedJob(app, source.bucket, 'data/');
    const rec = record(app);
    const runId = await triggerJob(app, jobId);
    await someChunksCommitted(app, jobId);
    await app.app.engineThread!.currentThread()!.terminate();
    await waitFor(async () => (await app.orm.em.fork().findOne(SyncRun, { id: Number(runId) }))?.status === 'FAILED', 10_000, 'the run recorded FAILED');
    // What the API says…
    const row = await app.orm.em.fork().findOneOrFail(SyncRun, { id: Number(runId) });
    expect(row.status).toBe('FAILED');
    // …and what a subscriber was told: it must not be left waiting on RUN_STARTED forever.
    await waitFor(() => rec.seen.some((e) => e.runId === runId && e.kind === 'RUN_FINISHED'), 1_000, 'RUN_FINISHED').catch(() => {});
    rec.stop();
    const ofRun = rec.seen.filter((e) => e.runId === runId);
    expect(ofRun[0]?.kind).toBe('RUN_STARTED');
    expect(ofRun.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'FAILED' });
  });

  it('a run that cannot use its download folder ends FAILED: subscribers get RUN_STARTED before RUN_FINISHED', async () => {
    await using app = await startTestApp({ env: { SYNC_THREAD: 'false' } });
    const jobId = await createPausedJob(app, 'some-bucket', 'data/');
    // The job's folder is a file: the run cannot create <job folder>/.dss-partial.
    await mkdir(app.config.downloadRoot, { recursive: true });
    await writeFile(join(app.config.downloadRoot, jobId), 'not a folder');
    const rec = record(app);
    const runId = await triggerJob(app, jobId);
    await waitFor(() => rec.seen.some((e) => e.runId === runId && e.kind === 'RUN_FINISHED'), 10_000, 'RUN_FINISHED');
    rec.stop();
    const kinds = rec.seen.filter((e) => e.runId === runId).map((e) => e.kind);
    expect(rec.seen.find((e) => e.kind === 'RUN_FINISHED')).toMatchObject({ runStatus: 'FAILED' });
    expect(kinds).toEqual(['RUN_STARTED', 'RUN_FINISHED']);
  });

  // The pid lock exists on SQLite only.
  it.skipIf(onPostgres)('a run that finds the folder locked by another live process: RUN_STARTED before RUN_FINISHED', async () => {
    await using app = await startTestApp({ env: { SYNC_THREAD: 'false' } });
    const jobId = await createPausedJob(app, 'some-bucket', 'data/');
    const partial = join(app.config.downloadRoot, jobId, '.dss-partial');
    await mkdir(partial, { recursive: true });
    // The lock of a live process started long before (vitest's parent): another process syncing this job.
    await writeFile(join(partial, 'run.lock'), `${process.ppid}\n`);
    const rec = record(app);
    const runId = await triggerJob(app, jobId);
    await waitFor(() => rec.seen.some((e) => e.runId === runId && e.kind === 'RUN_FINISHED'), 10_000, 'RUN_FINISHED');
    rec.stop();
    const finished = rec.seen.find((e) => e.kind === 'RUN_FINISHED')!;
    expect(finished.error).toMatch(/another process/);
    expect(rec.seen.filter((e) => e.runId === runId).map((e) => e.kind)).toEqual(['RUN_STARTED', 'RUN_FINISHED']);
  });
});

describe('subscriptions of a deleted job', () => {
  it('a syncProgress(jobId) subscription is completed (or ended with NOT_FOUND) when its job is deleted', async () => {
    await using app = await startTestApp();
    const jobId = await createPausedJob(app, 'some-bucket', 'data/');
    const client = wsClient(app.wsUrl, { lazy: false });
    try {
      const sub = collect(client, jobId);
      await untilLive(app.bus, [jobId], [sub]);
      const before = app.bus.subscriberStats().subscribers;
      const deleted = await gql(app, `mutation ($id: ID!) { deleteJob(id: $id) { deletedJobId } }`, { id: jobId });
      expect(deleted.body.errors).toBeUndefined();
      // A new subscription to the same id is refused with NOT_FOUND…
      const again = collect(client, jobId);
      await waitFor(() => again.results.length > 0 || again.ended.length > 0, 5_000, 'the new subscription to be refused');
      expect(JSON.stringify(again.results[0]?.errors ?? again.ended)).toContain('NOT_FOUND');
      // …but the one opened before the delete stays open forever, sending nothing, holding its queue.
      await waitFor(() => sub.ended.length > 0, 1_500, 'the subscription to end').catch(() => {});
      expect(sub.ended.length, 'the subscription of the deleted job is still open').toBeGreaterThan(0);
      expect(app.bus.subscriberStats().subscribers).toBeLessThan(before);
    } finally {
      await client.dispose();
    }
  });
});
