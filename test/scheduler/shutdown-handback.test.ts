import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createRemoteCancel } from '../../src/scheduler/remote-cancel.js';
import { createEventBus } from '../../src/events/event-bus.js';
import { followCommittedBytes } from '../../src/http/committed-bytes.js';
import { bridgeSyncMetrics } from '../../src/http/sync-metrics.js';
import { ShutdownAbort } from '../../src/sync/run/run-start.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';

const jobInput = () => new Job({ id: crypto.randomUUID(), name: 'j', connectorType: 'S3', bucketName: 'b', prefix: '', schedule: 'hourly' });

describe('graceful stop hands a run back', () => {
  it.skipIf(onPostgres)('the row never reads CANCELLED on the way back to RUNNING (commit 5fd2791)', async () => {
    await using db = await openTestDb();
    const conn = db.orm.em.getConnection();
    await conn.execute('create table status_log (status text)');
    await conn.execute('create trigger status_t after update of status on sync_runs begin insert into status_log values (new.status); end');
    const job = jobInput();
    await db.orm.em.fork().persistAndFlush(job);
    // As executeSyncRun does on a ShutdownAbort: records nothing and returns CANCELLED.
    const execute = (async (_runId: number, signal: AbortSignal) => {
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      expect(signal.reason).toBeInstanceOf(ShutdownAbort);
      return 'CANCELLED';
    }) as RunExecutor;
    const runner = createJobRunner({ orm: db.orm, execute, logger: silentLogger, tickMs: 3_600_000 });
    await runner.start();
    const run = await db.orm.em.fork().findOneOrFail(SyncRun, { jobId: job.id, status: 'RUNNING' }); // the start-up catch-up run
    await runner.stop();
    const row = await db.orm.em.fork().findOneOrFail(SyncRun, { id: run.id });
    const log = (await conn.execute('select status from status_log')) as Array<{ status: string }>;
    expect(row.status).toBe('RUNNING');
    expect(log.map((l) => l.status)).not.toContain('CANCELLED');
  });

  it.skipIf(onPostgres)('a run the user cancelled just before a graceful stop stays CANCELLED (it already sent RUN_FINISHED)', async () => {
    await using db = await openTestDb();
    const job = jobInput();
    await db.orm.em.fork().persistAndFlush(job);
    // As executeSyncRun does on a cancel: records CANCELLED (and RUN_FINISHED) a moment later, returns CANCELLED.
    const execute = (async (runId: number, signal: AbortSignal) => {
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      await sleep(300);
      await db.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'CANCELLED', finishedAt: new Date() });
      return 'CANCELLED';
    }) as RunExecutor;
    const runner = createJobRunner({ orm: db.orm, execute, logger: silentLogger, tickMs: 3_600_000 });
    await runner.start();
    const run = await db.orm.em.fork().findOneOrFail(SyncRun, { jobId: job.id, status: 'RUNNING' }); // the start-up catch-up run
    const cancelled = runner.cancel(job.id);
    await sleep(50);
    await runner.stop();
    await sleep(400);
    await cancelled;
    const row = await db.orm.em.fork().findOneOrFail(SyncRun, { id: run.id });
    expect(row.status).toBe('CANCELLED');
  });
});

describe('RUN_FINISHED sent by remote-cancel for a run this process never started', () => {
  it.skipIf(onPostgres)('dss_sync_runs_in_progress does not go below zero', async () => {
    await using db = await openTestDb();
    const job = jobInput();
    await db.orm.em.fork().persistAndFlush(job);
    const past = new Date(Date.now() - 60_000);
    const run = new SyncRun({ jobId: job.id, trigger: 'MANUAL', status: 'RUNNING', startedAt: past, scheduledFor: past, instanceId: 'gone', leaseOwner: 'gone', leaseExpiresAt: past } as never);
    await db.orm.em.fork().persistAndFlush(run);
    const bus = createEventBus();
    const registry = new Registry();
    bridgeSyncMetrics(followCommittedBytes(bus), registry);
    const { cancelElsewhere: cancel } = createRemoteCancel({ orm: db.orm, logger: silentLogger, now: () => new Date(), waitMs: 2000, pollMs: 10, bus });
    expect(await cancel(job.id)).toBe(true);
    const gauge = (await registry.getSingleMetric('dss_sync_runs_in_progress')!.get()).values[0]!.value;
    expect(gauge).toBeGreaterThanOrEqual(0);
  });
});

describe('a cancel that meets a graceful stop', () => {
  it.skipIf(onPostgres)('asked just before the stop aborts the run, it is not lost: the next start cancels the handed-back run', async () => {
    await using db = await openTestDb();
    const job = jobInput();
    await db.orm.em.fork().persistAndFlush(job);
    // As executeSyncRun does: a shutdown hands the run back (nothing recorded), a cancel records CANCELLED.
    const execute = (async (runId: number, signal: AbortSignal) => {
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      if (signal.reason instanceof ShutdownAbort) return 'CANCELLED';
      await db.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'CANCELLED', finishedAt: new Date() });
      return 'CANCELLED';
    }) as RunExecutor;
    const first = createJobRunner({ orm: db.orm, execute, logger: silentLogger, tickMs: 3_600_000, instanceId: 'a', leaseTtlMs: 600 });
    await first.start();
    const run = await db.orm.em.fork().findOneOrFail(SyncRun, { jobId: job.id, status: 'RUNNING' }); // the start-up catch-up run
    // The cancel reads the database before it aborts; the stop aborts at once, so it comes first.
    const cancelled = first.cancel(job.id);
    await first.stop();
    expect(await cancelled).toBe(true);
    expect(await db.orm.em.fork().findOneOrFail(SyncRun, { id: run.id })).toMatchObject({ status: 'RUNNING', cancelRequestedAt: expect.any(Date) });

    const next = createJobRunner({ orm: db.orm, execute, logger: silentLogger, tickMs: 3_600_000, instanceId: 'a', leaseTtlMs: 600 });
    await next.start();
    try {
      const ended = await waitFor(async () => {
        const row = await db.orm.em.fork().findOneOrFail(SyncRun, { id: run.id });
        return row.status === 'RUNNING' ? undefined : row;
      }, 10_000, 'the resumed run to be cancelled');
      expect(ended.status).toBe('CANCELLED');
      expect(await db.orm.em.fork().count(SyncRun, { jobId: job.id })).toBe(1);
    } finally {
      await next.stop();
    }
  });
});
