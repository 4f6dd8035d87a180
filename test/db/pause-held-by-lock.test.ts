import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { whileDatabaseDown } from '../../src/db/database-outage.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startTestApp } from '../helpers/test-app.js';

/** The lock's longest hold: released earlier once the pause answers. */
const LOCK_MS = 8_000;

// README: an API request is not held by a lock/outage; one that meets it after its first write is
// committed "answers with what is stored" (the writes completing it wait up to 1 s). pause_job commits
// PAUSED, then waits for the job's run to stop, and that run's end waits for the database.
describe.skipIf(onPostgres)('pause_job whose run stops while another process holds the SQLite write lock', () => {
  it('answers with the job PAUSED while the lock is still held, and the run ends CANCELLED once it is released', async () => {
    const ref: { orm?: Orm } = {};
    const started: number[] = [];
    // An executor whose run ends as the engine's does: at the abort, its end written through whileDatabaseDown.
    const execute: RunExecutor = (runId, signal) => {
      started.push(runId);
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          void whileDatabaseDown(() => ref.orm!.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'CANCELLED', finishedAt: new Date() })).then(() => resolve('CANCELLED'));
        }, { once: true });
      });
    };
    await using app = await startTestApp({ build: { execute } });
    ref.orm = app.orm;
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', { job_name: 'paused while locked', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' } })).body.job_id as string;
    await waitFor(() => started.length === 1, { what: 'the first run' });
    const lock = await lockWhenTold(app);
    // The lock is taken once the pause has committed PAUSED, as it stops the run.
    const cancel = app.runner.cancel.bind(app.runner);
    app.runner.cancel = async (id) => {
      if (id === jobId) await lock.take();
      return cancel(id);
    };
    let lockReleased = false;
    let release: Promise<void> | undefined;
    const releaseLock = () => (release ??= lock.release().then(() => void (lockReleased = true)));
    const safetyNet = new AbortController();
    void delay(LOCK_MS, undefined, { signal: safetyNet.signal }).then(releaseLock, () => undefined);
    const paused = await http(app, 'POST', '/api/v1/scheduler/pause_job', { job_id: jobId });
    const answeredWhileLocked = !lockReleased;
    safetyNet.abort();
    await releaseLock();
    expect(lock.taken, 'the lock was taken after PAUSED was committed').toBe(true);
    expect({ status: paused.status, jobStatus: paused.body?.job?.job_status, answeredWhileLocked }).toEqual({ status: 200, jobStatus: 'PAUSED', answeredWhileLocked: true });
    // The run records its end once the lock is gone.
    await waitFor(async () => (await app.orm.em.fork().findOneOrFail(SyncRun, { id: started[0]! })).status === 'CANCELLED', { what: 'the run CANCELLED' });
  }, 30_000);
});
