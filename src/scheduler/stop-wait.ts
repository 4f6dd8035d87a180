import { succeedsWithin } from '../config/succeeds-within.js';
import { isWorthWaitingFor } from '../db/database-outage.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';

/** How long a cancel waits for its run to stop before it checks that the database takes writes (and again after each check). */
export const STOP_CHECK_MS = 1_000;

/**
 * Waits for a cancelled run to stop (`done`) for as long as the database takes writes. The run's end
 * is written at its next chunk boundary, and while the database is locked or unreachable that write
 * waits for it, a whole outage long: the cancel then answers with what is stored, and the run
 * finishes recording on its own. The check is a write the stop calls for anyway: the stop request
 * on the run's row, as a cancel through another instance records it.
 */
export async function untilStoppedWhileDatabaseAnswers(orm: Orm, runId: () => number | null, done: Promise<void>, now: () => Date): Promise<void> {
  while (!(await succeedsWithin(done, STOP_CHECK_MS))) {
    const id = runId();
    if (id !== null && !(await recordsStopRequest(orm, id, now()))) return;
  }
}

/** False when the database does not take the write (locked by another process, unreachable). */
export async function recordsStopRequest(orm: Orm, runId: number, at: Date): Promise<boolean> {
  try {
    await orm.em.fork().nativeUpdate(SyncRun, { id: runId, status: 'RUNNING', cancelRequestedAt: null }, { cancelRequestedAt: at });
    return true;
  } catch (error) {
    if (isWorthWaitingFor(error)) return false;
    throw error;
  }
}
