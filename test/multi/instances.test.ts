import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startInstance, type InstanceProcess } from './instance-process.js';

const CHUNK = 64 * 1024;
/**
 * Due times of the every-second job to check: all three instances race for each one, so an
 * instance that records a due time already taken shows up as a duplicate within the first few.
 */
const DUE_TIMES = 6;

async function post(instance: InstanceProcess, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${instance.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Three instances on one PostgreSQL database, one Redis and one download folder, reading one bucket
 * through a proxy that throttles the GETs of the large objects (under `big/`). Both tests share them:
 * starting three instances costs seconds on a loaded machine.
 */
async function startCluster() {
  const s3 = await startS3Server();
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  // A slow link for the large run, so the kill lands mid-run; the every-second job's object is not throttled.
  proxy.setRule((req) => (req.method === 'GET' && req.key?.startsWith('big/') ? { kind: 'throttle', ms: 0, bytesPerSecond: 1024 * 1024 } : undefined));
  const dir = await mkdtemp(join(tmpdir(), 'dss-cluster-'));
  const dbUrl = await freshDbUrl(dir);
  const env = {
    ...s3.env,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    DB_URL: dbUrl,
    REDIS_URL: inject('redisUrl'),
    DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
    // A schedule every second needs the minimum interval lifted (MIN_SCHEDULE_INTERVAL defaults to 60s).
    MIN_SCHEDULE_INTERVAL: '0s',
    S3_CHUNK_SIZE: '64KiB',
    SYNC_CONCURRENCY: '2',
    // The shortest lease: a killed instance's run is taken over about a second later.
    RUN_LEASE_TTL: '2s',
  };
  const instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance({ ...env, INSTANCE_ID: id })));
  const orm = await initOrm(dbUrl);
  return {
    s3,
    proxy,
    env,
    instances,
    orm,
    async [Symbol.asyncDispose]() {
      await Promise.all(instances.map((i) => i.kill9()));
      await orm.close(true);
      await proxy[Symbol.asyncDispose]();
      await s3[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('three instances on one PostgreSQL and Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
  });

  it('each scheduled due time of a job yields exactly one run row across the instances', async () => {
    const { s3 } = cluster;
    await s3.putObjects([['tiny/a.txt', 'tiny']]);
    const [a] = cluster.instances;
    const { job_id: jobId } = await post(a!, '/api/v1/scheduler/create_job', {
      job_name: 'every second',
      connector_type: 'S3',
      schedule: '*/1 * * * * *',
      connector_config: { bucket_name: s3.bucket, prefix: 'tiny/' },
    });
    const scheduled = () => cluster.orm.em.fork().find(SyncRun, { jobId: jobId as string, trigger: 'SCHEDULE' }, { orderBy: { scheduledFor: 'asc' } });
    await waitFor(async () => (await scheduled()).length >= DUE_TIMES, 60_000, `${DUE_TIMES} scheduled due times`);
    await post(a!, '/api/v1/scheduler/pause_job', { job_id: jobId });
    const runs = (await scheduled()).slice(0, DUE_TIMES);
    const dueTimes = runs.map((r) => r.scheduledFor!.getTime());
    // One row per due time (RUNNING/SUCCEEDED or SKIPPED when the job was busy), every one a whole second.
    expect(new Set(dueTimes).size).toBe(DUE_TIMES);
    expect(dueTimes.every((t) => t % 1000 === 0)).toBe(true);
    // Every instance followed the job created on `a`: the rows name the instance that won each due time.
    expect(runs.every((r) => ['a', 'b', 'c'].includes(r.instanceId ?? ''))).toBe(true);
  });

  it('kill -9 of the instance running a large run: another takes it over (same run id), from the checkpoints, byte-identical', async () => {
    const { s3, proxy } = cluster;
    const objects: Array<[string, Buffer]> = Array.from({ length: 6 }, (_, i) => [`big/${i}.bin`, seededBytes(16 * CHUNK + i, i)]);
    await s3.putObjects(objects);
    const [a] = cluster.instances;
    const { job_id: jobId } = await post(a!, '/api/v1/scheduler/create_job', {
      job_name: 'large',
      connector_type: 'S3',
      schedule: 'daily',
      connector_config: { bucket_name: s3.bucket, prefix: 'big/' },
    });
    const total = objects.reduce((sum, [, body]) => sum + body.length, 0);
    const rows = () => cluster.orm.em.fork().find(SyncObject, { jobId: jobId as string });
    await waitFor(async () => (await rows()).reduce((sum, r) => sum + r.lastPosition, 0) >= 0.4 * total, 60_000, '40 % committed');
    const [run] = await cluster.orm.em.fork().find(SyncRun, { jobId: jobId as string });
    const owner = cluster.instances[['a', 'b', 'c'].indexOf(run!.leaseOwner!)]!;
    await owner.kill9();
    // What the dead instance had committed: nothing of it may be fetched again.
    const atKill = new Map((await rows()).map((r) => [r.key, r.lastPosition]));
    s3.resetCounts();
    // The kill landed mid-run: the rest need not crawl.
    proxy.setRule(undefined);

    const finished = await waitFor(async () => {
      const row = await cluster.orm.em.fork().findOne(SyncRun, { id: run!.id });
      return row && row.status !== 'RUNNING' ? row : undefined;
    }, 60_000, 'the run to be taken over and finish');
    expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsFailed: 0 });
    expect(finished.instanceId).not.toBe(run!.leaseOwner);
    expect(await cluster.orm.em.fork().count(SyncRun, { jobId: jobId as string })).toBe(1);
    for (const [key, body] of objects) expect(await sha256File(join(cluster.env.DOWNLOAD_ROOT_FOLDER, jobId as string, key)), key).toBe(sha256(body));
    for (const { key, range } of s3.counts.getRanges) {
      const start = Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1] ?? 0);
      expect(start, `${key} fetched again from ${start}, committed ${atKill.get(key)}`).toBeGreaterThanOrEqual(atKill.get(key) ?? 0);
    }
  });
});
