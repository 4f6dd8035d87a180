import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { enqueueRunEnd } from './enqueue.js';

/** Ended runs queued per sweep at most; the next poll takes the rest. */
export const SWEEP_BATCH = 20;

/**
 * Queues the webhook deliveries of ended runs whose end was never queued: the process that ended
 * them died between the run's final status and its deliveries. Only runs whose lease has run out:
 * until then their holder queues them itself, and a run it hands back for a restart is RUNNING
 * again before anyone else may look. Safe to run on several instances at once (enqueueRunEnd
 * queues a run once). Returns the runs it queued deliveries for; throws the first failure after
 * trying every run of the batch.
 */
export async function sweepUnqueuedRunEnds(orm: Orm, now: Date): Promise<number[]> {
  const ended = await orm.em.fork().find(
    SyncRun,
    { webhooksEnqueuedAt: null, status: { $ne: 'RUNNING' }, $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lte: now } }] },
    { fields: ['id'], orderBy: { id: 'asc' }, limit: SWEEP_BATCH },
  );
  const notified: number[] = [];
  let firstFailure: unknown = null;
  for (const { id } of ended) {
    try {
      if ((await enqueueRunEnd(orm, id)).length) notified.push(id);
    } catch (error) {
      firstFailure ??= error;
    }
  }
  if (firstFailure !== null) throw firstFailure;
  return notified;
}
