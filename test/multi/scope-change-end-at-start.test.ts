import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { SyncProgressEvent as ProgressEvent } from '../../src/events/progress-event.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { STOPPING_FOR_SCOPE_CHANGE } from '../../src/sync/local/job-scope.js';
import { waitFor } from '../helpers/poll.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';

/**
 * An instance killed while an update of its job's prefix was stopping the run restarts (same
 * INSTANCE_ID): start-up closes that run CANCELLED (endRunsStoppedForScopeChange) but, unlike every
 * other way a run ends (takeover's endUnheld included), announces nothing: subscribers that saw its
 * RUN_STARTED never get RUN_FINISHED. Seen once in the 3-instance storm.
 */
describe('a run an update was stopping, closed at the next start', () => {
  it('is announced with RUN_FINISHED', { timeout: 30_000 }, async () => {
    await using db = await openTestDb();
    const published: ProgressEvent[] = [];
    const bus = { publish: (e: ProgressEvent) => void published.push(e) };
    const first = createJobRunner({ orm: db.orm, execute: createFakeExecutor(db.orm).execute, logger: silentLogger, tickMs: 3_600_000, instanceId: 'a', leaseTtlMs: 3000, bus });
    await first.start();
    const services = createServices({ orm: db.orm, runner: first, defaultPageSize: 100 });
    const job = await services.jobs.create({ name: 'scope', connectorType: 'S3', schedule: 'daily', connectorConfig: { bucketName: 'bucket-a', prefix: 'old/' } });
    const run = await db.orm.em.fork().findOneOrFail(SyncRun, { jobId: job.id, status: 'RUNNING' });
    // The update marked the run, then the process died (its slots never recorded anything).
    await db.orm.em.fork().nativeUpdate(SyncRun, { id: run.id }, { error: STOPPING_FOR_SCOPE_CHANGE });
    const orm2 = await db.reopen();
    const second = createJobRunner({ orm: orm2, execute: createFakeExecutor(orm2, { auto: 'SUCCEEDED' }).execute, logger: silentLogger, tickMs: 3_600_000, instanceId: 'a', leaseTtlMs: 3000, bus });
    try {
      await second.start();
      await waitFor(async () => (await orm2.em.fork().findOneOrFail(SyncRun, { id: run.id })).status === 'CANCELLED', 5000, 'the run closed');
      expect(published.filter((e) => e.kind === 'RUN_FINISHED' && String(e.runId) === String(run.id))).toHaveLength(1);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
