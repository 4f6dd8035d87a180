import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRunUntilCancelled } from '../helpers/run-until-cancelled.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';

/** The lock's longest hold: released earlier once the pause answers. */
const LOCK_MS = 8_000;

// README: an API request is not held by a lock/outage; one that meets it after its first write is
// committed "answers with what is stored" (the writes completing it wait up to 1 s). pause_job commits
// PAUSED, then waits for the job's run to stop, and that run's end waits for the database.
describe.skipIf(onPostgres)('pause_job whose run stops while another process holds the SQLite write lock', () => {
  it('answers with the job PAUSED while the lock is still held, and the run ends CANCELLED once it is released', async () => {
    // A run that ends as the engine's does: at the abort, its end written through whileDatabaseDown.
    await using running = await startRunUntilCancelled({ name: 'paused while locked' });
    const { app, jobId } = running;
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
    await waitFor(async () => (await app.orm.em.fork().findOneOrFail(SyncRun, { id: running.runId })).status === 'CANCELLED', { what: 'the run CANCELLED' });
  }, 30_000);
});
