import { afterEach, describe, expect, it, vi } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import type { RunStatus } from '../../src/db/entities/statuses.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { createRunHistoryPruner, type RunHistoryPolicy } from '../../src/scheduler/run-history.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { openTestDb, silentLogger } from './test-db.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-29T12:00:00.000Z');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const db = await openTestDb();
  cleanups.push(() => db[Symbol.asyncDispose]());
  return db;
}

let jobCount = 0;
async function addJob(orm: Orm): Promise<string> {
  jobCount += 1;
  const id = `00000000-0000-4000-8000-${String(jobCount).padStart(12, '0')}`;
  await orm.em.fork().persistAndFlush(new Job({ id, name: `job-${jobCount}`, connectorType: 'S3', bucketName: 'bucket-a', schedule: 'hourly' }));
  return id;
}

/** Inserts runs oldest first; each is `[status, age in days]`. Returns their ids in the same order. */
async function addRuns(orm: Orm, jobId: string, runs: Array<[RunStatus, number]>): Promise<number[]> {
  const em = orm.em.fork();
  const rows = runs.map(([status, ageDays]) => {
    const at = new Date(NOW - ageDays * DAY);
    return new SyncRun({ jobId, trigger: 'SCHEDULE', status, startedAt: at, finishedAt: at, createdAt: at });
  });
  await em.persistAndFlush(rows);
  return rows.map((r) => r.id);
}

const remaining = async (orm: Orm, jobId: string) =>
  (await orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } })).map((r) => r.id);

function pruner(orm: Orm, policy: RunHistoryPolicy, batchSize = 3) {
  const p = createRunHistoryPruner({ orm, logger: silentLogger, policy, now: () => new Date(NOW), batchSize });
  cleanups.push(() => p.stop());
  return p;
}

describe('run history pruning (RUN_HISTORY_DAYS, RUN_HISTORY_MAX)', () => {
  it('removes runs older than the age limit in batches, keeping a RUNNING run, the newest run and Job.lastRun', async () => {
    const { orm } = await setup();
    const job = await addJob(orm);
    const ids = await addRuns(orm, job, [
      ['RUNNING', 90], // left running: never pruned
      ['SUCCEEDED', 80],
      ['FAILED', 70],
      ['SUCCEEDED', 60], // the newest run that did work: Job.lastRun
      ['SKIPPED', 50],
      ['SKIPPED', 40],
      ['SKIPPED', 35], // the newest run
    ]);
    const other = await addJob(orm);
    const recent = await addRuns(orm, other, [['SUCCEEDED', 29], ['SUCCEEDED', 1]]);

    expect(await pruner(orm, { maxAgeDays: 30, maxPerJob: 0 }).pruneOnce()).toBe(4);
    expect(await remaining(orm, job)).toEqual([ids[0], ids[3], ids[6]]);
    expect(await remaining(orm, other)).toEqual(recent);
  });

  it('keeps at most RUN_HISTORY_MAX runs per job, newest first, whatever their age', async () => {
    const { orm } = await setup();
    const job = await addJob(orm);
    const statuses: Array<[RunStatus, number]> = Array.from({ length: 20 }, (_, i) => ['SUCCEEDED', 1 - i / 100]);
    const ids = await addRuns(orm, job, statuses);
    const small = await addJob(orm);
    const kept = await addRuns(orm, small, [['SUCCEEDED', 1], ['FAILED', 0]]);

    expect(await pruner(orm, { maxAgeDays: 0, maxPerJob: 5 }).pruneOnce()).toBe(15);
    expect(await remaining(orm, job)).toEqual(ids.slice(15));
    expect(await remaining(orm, small)).toEqual(kept);
  });

  it('with both limits off, removes nothing', async () => {
    const { orm } = await setup();
    const job = await addJob(orm);
    const ids = await addRuns(orm, job, [['SUCCEEDED', 400], ['SUCCEEDED', 300]]);
    expect(await pruner(orm, { maxAgeDays: 0, maxPerJob: 0 }).pruneOnce()).toBe(0);
    expect(await remaining(orm, job)).toEqual(ids);
  });

  it('runs once at start and again on its timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { orm } = await setup();
    const job = await addJob(orm);
    const first = await addRuns(orm, job, [['SUCCEEDED', 50], ['SUCCEEDED', 0]]);
    const p = createRunHistoryPruner({ orm, logger: silentLogger, policy: { maxAgeDays: 30, maxPerJob: 0 }, now: () => new Date(NOW), everyMs: 60_000 });
    cleanups.push(() => p.stop());
    p.start();
    await waitFor(async () => (await remaining(orm, job)).length === 1, 5000, 'first pass');
    expect(await remaining(orm, job)).toEqual([first[1]]);

    const later = await addRuns(orm, job, [['SUCCEEDED', 45], ['SUCCEEDED', 0]]);
    expect(await remaining(orm, job)).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(60_000);
    await waitFor(async () => (await remaining(orm, job)).length === 2, 5000, 'timed pass');
    expect(await remaining(orm, job)).toEqual([first[1], later[1]]);
  });
});

describe('the service prunes with its configured limits', () => {
  it('RUN_HISTORY_MAX from the environment bounds the runs of a job', async () => {
    await using app = await startTestApp({ env: { RUN_HISTORY_MAX: '3', RUN_HISTORY_DAYS: '0' } });
    const job = await app.services.jobs.create({
      name: 'pruned',
      connectorType: 'S3',
      schedule: 'hourly',
      connectorConfig: { bucketName: 'bucket-a' },
      paused: true,
    });
    const ids = await addRuns(app.orm, job.id, Array.from({ length: 10 }, (): [RunStatus, number] => ['SUCCEEDED', 0]));
    expect(await app.app.historyPruner.pruneOnce()).toBe(7);
    expect(await remaining(app.orm, job.id)).toEqual(ids.slice(7));
  });
});
