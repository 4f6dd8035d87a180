import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process (a `sqlite3` shell, an admin's script) holds the write lock for `ms`. */
function holdWriteLock(file: string, ms: number): Promise<void> {
  const script = `const D = require(${JSON.stringify(betterSqlite)}); const d = new D(${JSON.stringify(file)}); d.exec('begin immediate'); console.log('locked'); setTimeout(() => { d.exec('commit'); d.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => resolve()));
}

describe.skipIf(onPostgres)('SQLite: the write lock held by another process for longer than the busy timeout (5 s)', () => {
  it('a run that meets it waits and ends SUCCEEDED (every object committed), not FAILED "database is locked"', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects(Array.from({ length: 120 }, (_, i): [string, string] => [`data/${String(i).padStart(4, '0')}.txt`, `object ${i}`]), 16);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'latency', ms: 40 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, RETRY_COUNT: '0' } });
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
    await holdWriteLock(app.config.dbUrl.replace(/^sqlite:/, ''), 6_000);
    const run = await waitFor(async () => {
      const row = await app.orm.em.fork().findOne(SyncRun, { jobId, finishedAt: { $ne: null } });
      return row ?? undefined;
    }, 60_000, 'the run to end');
    expect(await app.orm.em.fork().count(SyncObject, { jobId, status: 'PROCESSED' })).toBe(120);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    // The wait is logged once, as an outage is; no commit failed.
    expect(app.errorLines.filter((line) => line.includes('sync run database writes wait'))).toHaveLength(1);
    expect(app.errorLines.filter((line) => line.includes('could not commit object rows'))).toEqual([]);
  }, 90_000);
});
