import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { gqlData } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createPausedJob, triggerJob } from '../live/live-env.js';

const CHUNK = 64 * 1024;

async function slowSource() {
  const s3 = await startS3Server();
  await s3.putObjects([['data/big.bin', seededBytes(40 * CHUNK, 9)]]);
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  let slow = true;
  proxy.setRule((req) => (slow && req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
  const env = { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0', SYNC_CONCURRENCY: '1', SYNC_THREAD: 'false' };
  return { bucket: s3.bucket, env, fast: () => (slow = false), [Symbol.asyncDispose]: async () => { await proxy.stop(); await s3.stop(); } };
}

const chunksIn = (app: TestApp, jobId: string) =>
  waitFor(async () => ((await app.orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0) >= 2 * CHUNK, 20_000, 'chunks committed');

describe('what subscribers are told when a run stops without ending', () => {
  it('graceful stop: a run handed back (RUNNING, resumed later) sends no RUN_FINISHED', async () => {
    await using source = await slowSource();
    const dir = await mkdtemp(join(tmpdir(), 'dss-stop-'));
    try {
      const env = { ...source.env, DB_URL: await freshDbUrl(dir), DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads') };
      const logs = captureLogs();
      const first = await startTestApp({ env, logger: logs.logger });
      const jobId = await createPausedJob(first, source.bucket, 'data/');
      const seen: SyncProgressEvent[] = [];
      first.bus.on((e) => seen.push(e));
      const runId = await triggerJob(first, jobId);
      await chunksIn(first, jobId);
      await first.stop();
      // Its log says so too, not "ended" with the CANCELLED the shutdown's abort gave the engine.
      const ofRun = logs.lines.filter((line) => line.runId === Number(runId) && /^sync run (ended|stopped)/.test(String(line.msg)));
      expect(ofRun.map((line) => line.msg)).toEqual(['sync run stopped for shutdown; handed back']);
      const second = await startTestApp({ env: { ...env, S3_CHUNK_SIZE: '64KiB' } });
      try {
        const row = await second.orm.em.fork().findOneOrFail(SyncRun, { id: Number(runId) });
        const finished = seen.filter((e) => e.kind === 'RUN_FINISHED' && e.runId === runId);
        // The row is RUNNING again (handed back, resumed by `second` with the same id)…
        expect(row.status).toBe('RUNNING');
        // …so it has not ended: no RUN_FINISHED (the resumed run announces itself with RUN_STARTED).
        expect(finished).toEqual([]);
      } finally {
        source.fast();
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pause mid-run: RUN_FINISHED CANCELLED, and the row says the same', async () => {
    await using source = await slowSource();
    await using app = await startTestApp({ env: source.env });
    const jobId = await createPausedJob(app, source.bucket, 'data/');
    await gqlData(app, 'mutation ($id: ID!) { resumeJob(id: $id) { job { id } } }', { id: jobId });
    const seen: SyncProgressEvent[] = [];
    app.bus.on((e) => seen.push(e));
    const runId = await triggerJob(app, jobId);
    await chunksIn(app, jobId);
    await gqlData(app, 'mutation ($id: ID!) { pauseJob(id: $id) { job { id status } } }', { id: jobId });
    const row = await app.orm.em.fork().findOneOrFail(SyncRun, { id: Number(runId) });
    expect(row.status).toBe('CANCELLED');
    expect(seen.filter((e) => e.runId === runId && e.kind.startsWith('RUN_')).map((e) => [e.kind, e.runStatus])).toEqual([
      ['RUN_STARTED', 'RUNNING'],
      ['RUN_FINISHED', 'CANCELLED'],
    ]);
    source.fast();
  });
});
