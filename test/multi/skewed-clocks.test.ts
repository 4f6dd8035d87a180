import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { databaseClockOffsetMs, databaseNow } from '../../src/db/database-clock.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

const SKEWED_CLOCK = fileURLToPath(new URL('./skewed-clock.mjs', import.meta.url));

/** This host's true time, whatever Date says (fake timers replace Date, not performance). */
const trueNow = () => performance.timeOrigin + performance.now();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("leases follow the database's clock, not the host's", () => {
  afterEach(() => vi.useRealTimers());

  it('measures how far the host clock is off PostgreSQL, and reads the time as the database would', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-clock-'));
    // A host clock 20 s ahead that keeps running. A frozen fake Date fell behind by as long as the
    // database's creation and migrations took, which alone is over a second on a loaded machine.
    const hostNow = Date.now.bind(Date);
    const skewed = vi.spyOn(Date, 'now').mockImplementation(() => hostNow() + 20_000);
    const orm = await initOrm(await freshDbUrl(dir));
    try {
      expect(Math.abs(databaseClockOffsetMs(orm) + 20_000)).toBeLessThan(1000);
      expect(Math.abs(databaseNow(orm).getTime() - trueNow())).toBeLessThan(1000);
      expect(Math.abs(Date.now() - trueNow() - 20_000)).toBeLessThan(1000);
    } finally {
      skewed.mockRestore();
      await orm.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an instance whose clock runs 10 s ahead never takes over the run of a live instance', async () => {
    const objects = numberedObjects('d/', 8, 200_000);
    await using source = await startThrottledSource(objects, 256 * 1024);
    const env = source.instanceEnv({ S3_CHUNK_SIZE: '64KiB', SYNC_CONCURRENCY: '2' });
    const a = await startInstance({ ...env, INSTANCE_ID: 'a' });
    const b = await startInstance({ ...env, INSTANCE_ID: 'b', NODE_OPTIONS: `--import ${SKEWED_CLOCK}`, CLOCK_OFFSET_MS: '10000' });
    const orm = await initOrm(env.DB_URL);
    try {
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      const offset = Number(/^dss_database_clock_offset_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(Math.abs(offset + 10)).toBeLessThan(1);

      const created = await fetch(`${a.url}/api/v1/scheduler/create_job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_name: 'skewed', connector_type: 'S3', schedule: 'daily', connector_config: { bucket_name: source.s3.bucket, prefix: 'd/' } }),
      });
      expect(created.status).toBe(200);
      const { job_id: jobId } = (await created.json()) as { job_id: string };
      const owners = new Set<string>();
      const finished = await waitFor(async () => {
        const row = await orm.em.fork().findOne(SyncRun, { jobId });
        if (row?.leaseOwner) owners.add(row.leaseOwner);
        return row && row.status !== 'RUNNING' ? row : undefined;
      }, 60_000, 'the run to finish');
      // `a` renewed its lease all along: by the database's clock it never ran out.
      expect([...owners]).toEqual(['a']);
      expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsFailed: 0, objectsDone: objects.length, instanceId: 'a' });
      for (const [key, body] of objects) expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, key)), key).toBe(sha256(body));
    } finally {
      await Promise.all([a.kill9(), b.kill9()]);
      await orm.close(true);
    }
  }, 120_000);
});

describe("schedules follow the database's clock, not the host's", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
    vi.useRealTimers();
  });

  /** A scheduler on a host whose clock runs 50 minutes behind PostgreSQL's (Date keeps running). */
  async function hostClockBehind() {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: trueNow() - 50 * MINUTE });
    const db = await openTestDb();
    cleanups.push(() => db[Symbol.asyncDispose]());
    expect(Math.abs(databaseClockOffsetMs(db.orm) - 50 * MINUTE)).toBeLessThan(5000);
    const fake = createFakeExecutor(db.orm);
    const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, tickMs: HOUR });
    cleanups.push(() => runner.stop());
    await runner.start();
    const services = createServices({ orm: db.orm, runner, defaultPageSize: 100 });
    const create = (schedule: string) => services.jobs.create({ name: 'skewed', connectorType: 'S3', schedule, connectorConfig: { bucketName: 'bucket-a' } });
    return { db, fake, services, create };
  }

  it('an hourly job is next due an hour after its first run, by the clock that runs it', async () => {
    const { db, fake, create } = await hostClockBehind();
    const job = await create('hourly');
    const [firstRun] = await db.orm.em.fork().find(SyncRun, { jobId: job.id });
    expect(job.nextRunAt!.getTime() - firstRun!.startedAt!.getTime()).toBeGreaterThan(HOUR - MINUTE);
    await fake.calls[0]!.finish();
  });

  it('upcomingRuns starts at the nextRunAt the scheduler will fire', async () => {
    const { fake, services, create } = await hostClockBehind();
    const job = await create('*/5 * * * *');
    const upcoming = await services.previews.upcomingRuns(job.id, 3);
    expect(upcoming[0]).toEqual(job.nextRunAt);
    await fake.calls[0]!.finish();
  });
});
