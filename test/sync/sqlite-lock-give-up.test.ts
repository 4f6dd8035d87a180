import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { onPostgres } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startTestApp } from '../helpers/test-app.js';

// README (DB_OUTAGE_WAIT): "wait for an unreachable (or, on SQLite, locked) database before giving up;
// the run is then handed back". A SQLite lock held past DB_OUTAGE_WAIT must not end the run FAILED.
describe.skipIf(onPostgres)('a run whose writes give up on a SQLite lock held past DB_OUTAGE_WAIT', () => {
  it.each([
    { thread: 'false' },
    // The engine thread's own connection keeps the 5 s busy timeout: its writes give up past it and DB_OUTAGE_WAIT.
    { thread: 'true' },
  ])('SYNC_THREAD=$thread: is handed back and resumed (same run, SUCCEEDED), not ended FAILED "internal error"', async ({ thread }) => {
    await using s3 = await startS3Server();
    const objects = Array.from({ length: 40 }, (_, i): [string, Buffer] => [`d/o${String(i).padStart(2, '0')}.bin`, seededBytes(2048, i)]);
    await s3.putObjects(objects);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // Slow GETs until the lock is released: the run is still going when the lock is taken.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'latency', ms: 100 } : undefined));
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({
      env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, DB_OUTAGE_WAIT: '1s', RUN_LEASE_TTL: '3s', SYNC_CONCURRENCY: '2', SYNC_THREAD: thread },
      logger,
    });
    const lock = await lockWhenTold(app);
    const jobId = await createJobOverRest(app, { name: 'lock give-up', schedule: 'daily', bucket: s3.bucket, prefix: 'd/' });
    await waitFor(async () => (await app.orm.em.fork().count(SyncObject, { jobId, status: 'PROCESSED' })) > 0, 10_000, 'some objects done');
    await lock.take();
    // Held until the run's row commits give up on it: past the busy timeout, DB_OUTAGE_WAIT (1 s) and its last back-off.
    await waitFor(() => lines.some((line) => line.msg === 'could not commit object rows'), 20_000, 'the row commits to give up on the lock');
    await lock.release();
    proxy.setRule(undefined);

    const run = await waitFor(async () => {
      const rows = await app.orm.em.fork().find(SyncRun, { jobId });
      const row = rows[0];
      return rows.length === 1 && row && row.status !== 'RUNNING' ? row : undefined;
    }, 20_000, 'the run to end');
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    for (const [key, body] of objects) expect(await sha256File(join(app.config.downloadRoot, jobId, key)), key).toBe(sha256(body));
  }, 60_000);
});
