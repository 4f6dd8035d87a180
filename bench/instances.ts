// `npm run bench -- --only=instances [--small=4000] [--large=8] [--keys=200000]`: one large run shared
// by 1, 2 and 3 instances of the service on a throwaway PostgreSQL + Redis (started as the tests start
// them) and the s3rver fixture; objects/s, MB/s and the CPU time of every process, to see what bounds
// it. `--keys=N` runs N generated keys (1–64 bytes each) from the synthetic S3 server instead, which
// serves a listing page or a GET in microseconds: runs of hundreds of thousands of objects, where the
// cost per object of PostgreSQL and of the claims shows.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Job } from '../src/db/entities/job.entity.js';
import { SyncRun } from '../src/db/entities/sync-run.entity.js';
import { initOrm, type Orm } from '../src/db/orm.js';
import { startInstance, type InstanceProcess } from '../test/multi/instance-process.js';
import { findPostgresBin, findRedisServer, INSTALL_HINT, startThrowawayPostgres, startThrowawayRedis } from '../test/setup/throwaway-servers.js';
import { cpuSeconds, treeCpuSeconds } from './proc-cpu.js';
import { benchServiceEnv, BENCH_BUCKET, startS3Fixture } from './s3-fixture.js';
import { seedObjects, type ObjectSet } from './seed.js';
import { startSyntheticS3 } from '../test/helpers/synthetic-s3.js';

const INSTANCE_COUNTS = [1, 2, 3];
const CONCURRENCY = 8;
const CHUNK_SIZE = 8 * 2 ** 20;

interface Row {
  set: string;
  instances: number;
  seconds: number;
  objects: number;
  bytes: number;
  /** Objects done by each instance, in instance order. */
  shares: number[];
  /** CPU seconds during the run: each instance, s3rver, PostgreSQL (all backends), Redis. */
  cpu: { instances: number[]; s3: number; postgres: number; redis: number };
  status: string;
}

export async function runInstancesBench(args: string[], log: (line: string) => void): Promise<void> {
  const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const postgresBin = findPostgresBin();
  const redisBin = findRedisServer();
  if (!postgresBin || !redisBin) {
    log(`skipping instances: ${postgresBin ? '' : 'PostgreSQL '}${redisBin ? '' : 'redis-server '}not installed (install with: ${INSTALL_HINT})`);
    return;
  }
  const keys = Number(arg('keys') ?? 0);
  // With --keys, one set of the synthetic server's objects, named by size 0 (1–64 bytes each, nothing seeded).
  const sets: ObjectSet[] = keys
    ? [{ prefix: '', count: keys, size: 0 }]
    : [
        { prefix: 'small/', count: Number(arg('small') ?? 4000), size: 16 * 1024 },
        { prefix: 'large/', count: Number(arg('large') ?? 8), size: 32 * 2 ** 20 },
      ].filter((set) => set.count > 0);
  const root = await mkdtemp(join(tmpdir(), 'dss-bench-instances-'));
  const postgres = await startThrowawayPostgres(postgresBin);
  const redis = await startThrowawayRedis(redisBin);
  const rows: Row[] = [];
  try {
    if (!keys) for (const [i, set] of sets.entries()) await seedObjects(join(root, 'server'), BENCH_BUCKET, set, i * 100_000);
    // The synthetic server runs in this process: its CPU is this process's, the harness's polling included.
    const s3 = keys
      ? await startSyntheticS3({ keys, bucket: BENCH_BUCKET, sizeOf: (i) => 1 + (i % 64) }).then((server) => ({ ...server, pid: process.pid }))
      : await startS3Fixture(join(root, 'server'));
    try {
      log(`${cpus().length} CPUs, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      log(`instances: ${sets.map(setName).join(', ')} on ${keys ? 'the synthetic S3 server (in this process)' : 's3rver'}, PostgreSQL ${postgresBin.split('/').at(-2)}, Redis; SYNC_CONCURRENCY=${CONCURRENCY} per instance`);
      for (const count of INSTANCE_COUNTS) {
        for (const set of sets) {
          const row = await measure(count, set, { root, postgresUrl: postgres.url, redisUrl: redis.url, s3Endpoint: s3.endpoint, pids: { s3: s3.pid, postgres: postgres.pid(), redis: redis.pid() } });
          rows.push(row);
          log(format(row));
        }
      }
    } finally {
      await s3.stop();
    }
    log(`\n| objects | instances | time (s) | objects/s | MB/s | vs 1 instance | objects per instance | CPU s: instances / S3 server / PostgreSQL / Redis |\n|---|---|---|---|---|---|---|---|`);
    for (const r of rows) {
      const one = rows.find((o) => o.set === r.set && o.instances === 1)!;
      const ratio = (r.objects / r.seconds) / (one.objects / one.seconds);
      log(`| ${r.set} | ${r.instances} | ${r.seconds.toFixed(1)} | ${Math.round(r.objects / r.seconds)} | ${(r.bytes / 1e6 / r.seconds).toFixed(1)} | ${ratio.toFixed(2)}× | ${r.shares.join(' / ')} | ${cpuText(r)} |`);
    }
  } finally {
    await redis.stop();
    await postgres.stop();
    await rm(root, { recursive: true, force: true });
  }
}

interface Target {
  root: string;
  postgresUrl: string;
  redisUrl: string;
  s3Endpoint: string;
  pids: { s3: number; postgres: number | null; redis: number | null };
}

/** One run of `set` by `count` fresh instances on a fresh database and download folder. */
async function measure(count: number, set: ObjectSet, target: Target): Promise<Row> {
  const dbName = `bench_${count}_${set.prefix.replace(/\W/g, '')}`;
  const admin = new pg.Client({ connectionString: target.postgresUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`).finally(() => admin.end());
  const dbUrl = new URL(target.postgresUrl);
  dbUrl.pathname = `/${dbName}`;
  const downloadRoot = join(target.root, `downloads-${dbName}`);
  await mkdir(downloadRoot, { recursive: true });
  const env = {
    ...benchServiceEnv({ dbFile: '', downloadRoot, endpoint: target.s3Endpoint, chunkSize: CHUNK_SIZE, concurrency: CONCURRENCY }),
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    DB_URL: dbUrl.href,
    REDIS_URL: target.redisUrl,
    // Helpers look for runs to join every TTL/3: a short lease lets them join within a second.
    RUN_LEASE_TTL: '3s',
    LOG_LEVEL: 'info',
  };
  const orm: Orm = await initOrm(dbUrl.href);
  const instances: InstanceProcess[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await startInstance({ ...env, INSTANCE_ID: `i${i + 1}` }));
    const jobId = randomUUID();
    await orm.em.fork().persistAndFlush(
      new Job({ id: jobId, name: 'bench', connectorType: 'S3', bucketName: BENCH_BUCKET, prefix: set.prefix, schedule: 'daily', status: 'PAUSED' }),
    );
    const cpuNow = () => ({
      instances: instances.map((p) => cpuSeconds(p.child.pid!)),
      s3: cpuSeconds(target.pids.s3),
      postgres: target.pids.postgres ? treeCpuSeconds(target.pids.postgres) : 0,
      redis: target.pids.redis ? cpuSeconds(target.pids.redis) : 0,
    });
    const before = cpuNow();
    const started = performance.now();
    const response = await fetch(`${instances[0]!.url}/api/v1/scheduler/trigger_job`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: jobId }),
    });
    if (!response.ok) throw new Error(`trigger_job answered ${response.status}: ${await response.text()}`);
    let run: SyncRun | null = null;
    while (!run || run.status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = await orm.em.fork().findOne(SyncRun, { jobId }, { orderBy: { id: 'desc' } });
    }
    const seconds = (performance.now() - started) / 1000;
    const after = cpuNow();
    const shares = (await orm.em.getConnection().execute(
      'select instance_id, count(*) as n from sync_objects where job_id = ? group by instance_id',
      [jobId],
    )) as Array<{ instance_id: string; n: string | number }>;
    const share = (id: string) => Number(shares.find((s) => s.instance_id === id)?.n ?? 0);
    return {
      set: setName(set),
      instances: count,
      seconds,
      objects: run.objectsDone,
      bytes: Number(run.bytesDone),
      shares: instances.map((_, i) => share(`i${i + 1}`)),
      cpu: {
        instances: after.instances.map((cpu, i) => cpu - before.instances[i]!),
        s3: after.s3 - before.s3,
        postgres: after.postgres - before.postgres,
        redis: after.redis - before.redis,
      },
      status: run.status !== 'SUCCEEDED' ? `${run.status}: ${run.error ?? ''}` : run.objectsDone !== set.count ? `${run.objectsDone} of ${set.count} objects done` : '',
    };
  } finally {
    await Promise.all(instances.map((p) => p.stop()));
    await orm.close();
    await rm(downloadRoot, { recursive: true, force: true });
  }
}

function setName(set: ObjectSet): string {
  if (set.size === 0) return `${set.count} keys × 1–64 B`;
  return `${set.count} × ${set.size >= 2 ** 20 ? `${set.size / 2 ** 20} MiB` : `${set.size / 1024} KiB`}`;
}

function cpuText(r: Row): string {
  return `${r.cpu.instances.map((c) => c.toFixed(1)).join(' + ')} / ${r.cpu.s3.toFixed(1)} / ${r.cpu.postgres.toFixed(1)} / ${r.cpu.redis.toFixed(1)}`;
}

function format(r: Row): string {
  return `${r.set}, ${r.instances} instance(s): ${r.seconds.toFixed(1)} s, ${Math.round(r.objects / r.seconds)} objects/s, ${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s, shares ${r.shares.join('/')}, CPU s ${cpuText(r)} ${r.status}`;
}

