import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startOwnPostgresSource } from './own-postgres-source.js';

const CHUNK = 256 * 1024;
const CONCURRENCY = 2;

describe('PostgreSQL restarting under a running sync', () => {
  it('loses no checkpoint: the same run ends SUCCEEDED, byte-identical, re-fetching at most what was in flight; readyz is 503 while it is down', async () => {
    const objects: Array<[string, Buffer]> = [
      ...Array.from({ length: 24 }, (_, i): [string, Buffer] => [`data/small-${String(i).padStart(2, '0')}.bin`, seededBytes(150_000 + i, i)]),
      ['data/large.bin', seededBytes(12 * CHUNK + 1234, 99)],
    ];
    const totalBytes = objects.reduce((sum, [, body]) => sum + body.length, 0);
    await using source = await startOwnPostgresSource(objects, 512 * 1024);
    const { pg, s3, proxy } = source;
    const logs = captureLogs();
    const env = source.instanceEnv({
      REDIS_URL: inject('redisUrl'),
      SYNC_CONCURRENCY: String(CONCURRENCY),
      S3_CHUNK_SIZE: String(CHUNK),
      INSTANCE_ID: 'a',
      // The run's engine thread loses its own connection while the database is down.
      SYNC_THREAD: 'true',
    });
    await using app = await startTestApp({ env, logger: logs.logger });
    const job = await createPausedJobInService(app, { name: 'database restart', schedule: 'daily', bucket: s3.bucket, prefix: 'data/' });
    const { run } = await app.services.lifecycle.trigger(job.id);
    const committed = async () => {
      const rows = await app.orm.em.fork().find(SyncObject, { jobId: job.id }, { fields: ['key', 'status', 'lastPosition'] });
      return { processed: rows.filter((r) => r.status === 'PROCESSED').length, largeAt: rows.find((r) => r.key === 'data/large.bin')?.lastPosition ?? 0 };
    };
    await waitFor(async () => {
      const { processed, largeAt } = await committed();
      return processed >= 3 && largeAt >= 2 * CHUNK;
    }, 60_000, 'a few objects and chunks to be committed');
    expect((await http(app, 'GET', '/readyz')).status).toBe(200);

    await pg.restart(async () => {
      // A probe's answer serves the probes of the next second (database-readiness.ts).
      const down = await waitFor(async () => {
        const ready = await http(app, 'GET', '/readyz');
        return ready.status === 503 ? ready : null;
      }, 5_000, 'readyz to answer 503');
      expect(down.body).toMatchObject({ database: 'unreachable' });
      // Down across at least one lease heartbeat and one checkpoint commit of the running sync.
      const failuresBefore = logs.lines.filter((l) => l.level === 50).length;
      await waitFor(() => logs.lines.filter((l) => l.level === 50).length > failuresBefore, 30_000, 'the sync to meet the database down');
      expect((await http(app, 'GET', '/readyz')).status).toBe(503);
    });
    await waitFor(async () => (await http(app, 'GET', '/readyz')).status === 200, 30_000, 'readyz to answer 200 again');
    // The outage is over: the slow link only had to keep the run going across it.
    proxy.liftThrottle();

    const finished = await waitFor(async () => {
      const row = await app.orm.em.fork().findOne(SyncRun, { id: run.id });
      return row && row.status !== 'RUNNING' ? row : undefined;
    }, 120_000, 'the run to end');
    expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsTotal: objects.length, objectsDone: objects.length, objectsFailed: 0, error: null });
    expect(await app.orm.em.fork().count(SyncRun, { jobId: job.id })).toBe(1);
    const rows = await app.orm.em.fork().find(SyncObject, { jobId: job.id }, { orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.status, Number(r.size), r.runId, r.claimOwner])).toEqual(
      objects.map(([key, body]) => [key, 'PROCESSED', body.length, run.id, null]).sort(),
    );
    const root = join(env.DOWNLOAD_ROOT_FOLDER, job.id);
    expect((await listTree(root)).filter((path) => !path.endsWith('/'))).toEqual(objects.map(([key]) => key).sort());
    for (const [key, body] of objects) expect(await sha256File(join(root, key)), key).toBe(sha256(body));
    // Fetched again: at most what was in flight when the database went away (a chunk or a small object per transfer slot).
    expect(s3.counts.getBytes - totalBytes).toBeLessThanOrEqual(CONCURRENCY * 2 * 160_000);
  }, 240_000);
});
