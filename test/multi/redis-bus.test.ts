import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor as poll } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { CHUNK_SIZE, LIVE_WAIT_MS, subscribeLive } from '../live/live-env.js';
import { findRedisServer, startThrowawayRedis } from '../setup/throwaway-servers.js';

/** Two instances on one PostgreSQL database and one download folder, as the README's "Running several instances" says. */
async function sharedEnv(extra: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'dss-multi-'));
  return {
    dir,
    env: { ...extra, DB_URL: await freshDbUrl(dir), DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'), S3_CHUNK_SIZE: String(CHUNK_SIZE) },
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

describe('progress events through Redis', () => {
  it('a subscriber on one instance sees every event of a run on another; /metrics count only their own; /readyz reports Redis', async () => {
    await using s3 = await startS3Server();
    const objects: Array<[string, Buffer]> = [
      ['t/big.bin', seededBytes(3 * CHUNK_SIZE + 9, 5)],
      ['t/small.txt', seededBytes(100, 6)],
      ['t/mid.bin', seededBytes(CHUNK_SIZE + 1, 7)],
    ];
    await s3.putObjects(objects);
    await using shared = await sharedEnv({ ...s3.env, REDIS_URL: inject('redisUrl'), INSTANCE_ID: 'worker' });
    await using worker = await startTestApp({ env: { ...shared.env, SYNC_THREAD: 'true' } });
    await using api = await startTestApp({ env: { ...shared.env, INSTANCE_ID: 'api' } });
    expect((await http(api, 'GET', '/readyz')).body).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });

    const job = await createPausedJobInService(worker, { name: 'shared bus', schedule: 'hourly', bucket: s3.bucket, prefix: 't/' });
    await using sub = await subscribeLive(api, job.id);
    const { run } = await worker.services.lifecycle.trigger(job.id);
    await poll(() => sub.events.some((e) => e.kind === 'RUN_FINISHED') || sub.results.some((r) => r.errors), LIVE_WAIT_MS);
    expect(sub.results.filter((r) => r.errors)).toEqual([]);
    expect(sub.events[0]).toMatchObject({ kind: 'RUN_STARTED', jobId: job.id, runId: String(run.id) });
    expect(sub.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'SUCCEEDED' });
    expect(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort()).toEqual(['t/big.bin', 't/mid.bin', 't/small.txt']);
    // The run is recorded as the worker's, and the api instance reads the same rows.
    const row = await api.orm.em.fork().findOneOrFail(SyncRun, { id: run.id });
    expect(row).toMatchObject({ status: 'SUCCEEDED', instanceId: 'worker' });
    for (const [key, body] of objects) expect(await sha256File(join(shared.env.DOWNLOAD_ROOT_FOLDER, job.id, key))).toBe(sha256(body));
    // Each instance counts what it did, so a sum over instances counts each object once. The api
    // instance may have helped with the run (it looks for runs to help at its first scheduler tick,
    // then every RUN_LEASE_TTL / 3): the rows say which instance fetched each object.
    const metrics = async (app: typeof api) => (await http(app, 'GET', '/metrics')).text;
    const [onWorker, onApi] = [await metrics(worker), await metrics(api)];
    const rows = await api.orm.em.fork().find(SyncObject, { jobId: job.id });
    const fetchedBy = (instanceId: string) => rows.filter((r) => r.instanceId === instanceId);
    expect(fetchedBy('worker').length + fetchedBy('api').length).toBe(3);
    const bytesOf = (fetched: SyncObject[]) => fetched.reduce((sum, r) => sum + r.size, 0);
    for (const [instance, text] of [['worker', onWorker], ['api', onApi]] as const) {
      const fetched = fetchedBy(instance);
      expect(metricValue(text, 'dss_sync_objects_total', { result: 'done' }), instance).toBe(fetched.length);
      expect(metricValue(text, 'dss_job_objects_total', { job_id: job.id, result: 'done' }), instance).toBe(fetched.length || undefined);
      expect(metricValue(text, 'dss_sync_bytes_downloaded_total'), instance).toBe(bytesOf(fetched));
    }
    expect(metricValue(onWorker, 'dss_sync_runs_finished_total', { status: 'SUCCEEDED' })).toBe(1);
    expect(metricValue(onWorker, 'dss_sync_runs_in_progress')).toBe(0);
    expect(metricValue(onApi, 'dss_sync_runs_finished_total', { status: 'SUCCEEDED' })).toBeUndefined();
  });

  it.skipIf(!findRedisServer())('Redis down: the sync goes on and succeeds, /readyz says redis unreachable (200, degraded)', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['a.txt', seededBytes(1000, 1)]]);
    const redis = await startThrowawayRedis(findRedisServer()!);
    let redisStopped = false;
    try {
      await using shared = await sharedEnv({ ...s3.env, REDIS_URL: redis.url });
      await using app = await startTestApp({ env: shared.env });
      expect((await http(app, 'GET', '/readyz')).body).toMatchObject({ redis: 'ok' });
      await redis.stop();
      redisStopped = true;
      const ready = await poll(async () => {
        const res = await http(app, 'GET', '/readyz');
        return res.body.redis === 'unreachable' ? res : undefined;
      }, 10_000, 'readyz to report Redis down');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'degraded', database: 'ok', redis: 'unreachable' });
      const job = await app.services.jobs.create({ name: 'no redis', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: s3.bucket } });
      const runs = await poll(async () => {
        const all = await app.orm.em.fork().find(SyncRun, { jobId: job.id });
        return all.length === 1 && all[0]!.status !== 'RUNNING' ? all : undefined;
      }, 20_000, 'the run to end');
      expect(runs[0]!.status).toBe('SUCCEEDED');
      expect(await sha256File(join(shared.env.DOWNLOAD_ROOT_FOLDER, job.id, 'a.txt'))).toBe(sha256(seededBytes(1000, 1)));
    } finally {
      if (!redisStopped) await redis.stop();
    }
  });
});
