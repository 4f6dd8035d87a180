import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb, silentLogger } from './test-db.js';

const jobInput = () => new Job({ id: crypto.randomUUID(), name: 'j', connectorType: 'S3', bucketName: 'b', prefix: '', schedule: 'hourly' });

/** A runner whose executor returns `status` at once, recording nothing (as one whose database writes failed). */
async function runOnce(status: 'FAILED' | 'RUNNING') {
  const db = await openTestDb();
  const published: SyncProgressEvent[] = [];
  const bus = { publish: (e: SyncProgressEvent) => void published.push(e) };
  await db.orm.em.fork().persistAndFlush(jobInput());
  const execute = (async () => status) as RunExecutor;
  const runner = createJobRunner({ orm: db.orm, execute, logger: silentLogger, tickMs: 3_600_000, bus });
  await runner.start();
  return { db, runner, published };
}

describe('a run its executor returned from without recording its end', () => {
  it('is closed FAILED with an error, and announced with RUN_FINISHED', async () => {
    const { db, runner, published } = await runOnce('FAILED');
    await using _db = db;
    try {
      const row = await waitFor(async () => {
        const run = await db.orm.em.fork().findOne(SyncRun, { status: { $ne: 'RUNNING' } });
        return run ?? undefined;
      }, 5_000, 'the run closed');
      expect({ status: row.status, error: row.error }).toEqual({ status: 'FAILED', error: 'internal error' });
      await waitFor(() => published.some((e) => e.kind === 'RUN_FINISHED'), 5_000, 'RUN_FINISHED');
      const finished = published.filter((e) => e.kind === 'RUN_FINISHED');
      expect(finished.map((e) => ({ runId: e.runId, runStatus: e.runStatus, error: e.error }))).toEqual([{ runId: String(row.id), runStatus: 'FAILED', error: 'internal error' }]);
    } finally {
      await runner.stop();
    }
  });

  it('is handed back (RUNNING, lease expired) when the executor could not end it (database unreachable)', async () => {
    const { db, runner, published } = await runOnce('RUNNING');
    await using _db = db;
    try {
      const row = await waitFor(async () => {
        const run = await db.orm.em.fork().findOne(SyncRun, { id: { $gt: 0 } });
        return run?.leaseExpiresAt && run.leaseExpiresAt.getTime() <= Date.now() ? run : undefined;
      }, 5_000, 'the run handed back');
      expect({ status: row.status, error: row.error, finishedAt: row.finishedAt }).toEqual({ status: 'RUNNING', error: null, finishedAt: null });
      expect(published.filter((e) => e.kind === 'RUN_FINISHED')).toEqual([]);
    } finally {
      await runner.stop();
    }
  });
});
