import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startTestApp } from '../helpers/test-app.js';

describe.skipIf(onPostgres)('SQLite: the write lock held by another process for longer than the busy timeout', () => {
  it('a run that meets it waits and ends SUCCEEDED (every object committed), not FAILED "database is locked"', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects(Array.from({ length: 120 }, (_, i): [string, string] => [`data/${String(i).padStart(4, '0')}.txt`, `object ${i}`]), 16);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'latency', ms: 40 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, RETRY_COUNT: '0' } });
    // Another process (a `sqlite3` shell, an admin's script) takes the lock; the busy timeout is cut to 50 ms.
    const lock = await lockWhenTold(app);
    const waitLogged = () => app.errorLines.filter((line) => line.includes('sync run database writes wait'));
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'locked-db',
      connector_type: 'S3',
      schedule: 'daily',
      // Four at a time: the run is still fetching when the lock is taken.
      connector_config: { bucket_name: s3.bucket, prefix: 'data/', max_concurrency: 4 },
    });
    expect(created.status).toBe(200);
    const jobId = created.body.job_id as string;
    await waitFor(async () => ((await app.orm.em.fork().count(SyncObject, { jobId, status: 'PROCESSED' })) >= 30 ? true : undefined), 20_000, 'some objects committed');
    await lock.take();
    // Held until the run's writes have met it past the busy timeout (or the run has ended).
    await waitFor(async () => waitLogged().length > 0 || (await app.orm.em.fork().count(SyncRun, { jobId, finishedAt: { $ne: null } })) > 0, 20_000, 'the run to meet the lock');
    await lock.release();
    const run = await waitFor(async () => {
      const row = await app.orm.em.fork().findOne(SyncRun, { jobId, finishedAt: { $ne: null } });
      return row ?? undefined;
    }, 60_000, 'the run to end');
    expect(await app.orm.em.fork().count(SyncObject, { jobId, status: 'PROCESSED' })).toBe(120);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    // The wait is logged once, as an outage is; no commit failed.
    expect(waitLogged()).toHaveLength(1);
    expect(app.errorLines.filter((line) => line.includes('could not commit object rows'))).toEqual([]);
  }, 90_000);
});
