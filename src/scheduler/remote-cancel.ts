import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../config/logger.js';
import { isWorthWaitingFor } from '../db/database-outage.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import { completeClosedRunEnd } from './closed-run-end.js';
import type { RunFinishedHook } from './job-runner-types.js';

export interface RemoteCancelDeps {
  orm: Orm;
  logger: Logger;
  now: () => Date;
  /** How long a cancel waits for the holder to record the run's end before answering anyway. */
  waitMs: number;
  /** How often the run row is read while waiting. */
  pollMs?: number;
  onRunFinished?: RunFinishedHook;
  /** Where the end of a run whose holder is gone is announced (its subscribers saw RUN_STARTED). */
  bus?: ProgressPublisher;
}

/**
 * Cancel of a run held by another instance: the request is recorded on the run row, the holder's
 * lease heartbeat sees it and stops the run at a chunk boundary (the run ends CANCELLED there), and
 * helpers stop claiming its objects. A run whose lease expired (its holder is gone) is ended here.
 */
export function createRemoteCancel({ orm, logger, now, waitMs, pollMs = 100, onRunFinished, bus }: RemoteCancelDeps) {
  /** Ends a run whose lease expired (its holder is gone): CANCELLED, announced, reported; false when it was not. */
  async function endUnheld(jobId: string, runId: number): Promise<boolean> {
    const em = orm.em.fork();
    const at = now();
    const ended = await em.nativeUpdate(
      SyncRun,
      { id: runId, status: 'RUNNING', $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lte: at } }] },
      { status: 'CANCELLED', finishedAt: at },
    );
    if (ended !== 1) return false;
    logger.info({ jobId, runId }, 'sync run cancelled (its lease had expired)');
    await completeClosedRunEnd({ orm, logger, bus, onRunFinished }, { jobId, runId, status: 'CANCELLED' });
    return true;
  }

  /** Cancels the job's RUNNING run, wherever it runs, and waits for its end. False when it has none. */
  async function cancelElsewhere(jobId: string): Promise<boolean> {
    const run = await orm.em.fork().findOne(SyncRun, { jobId, status: 'RUNNING' }, { fields: ['id', 'leaseOwner'] });
    // A run without a lease (a test's) is nobody's to stop through the database; the CLI's has one.
    if (!run || run.leaseOwner === null) return false;
    await orm.em.fork().nativeUpdate(SyncRun, { id: run.id, status: 'RUNNING', cancelRequestedAt: null }, { cancelRequestedAt: now() });
    logger.info({ jobId, runId: run.id, holder: run.leaseOwner }, 'cancel asked of the instance holding the sync run');
    // The request is recorded: the holder stops the run whatever becomes of the wait, and a cancel
    // asked again once it has would be told that nothing runs.
    await untilEnded(jobId, run.id).catch((error: unknown) => {
      if (!isWorthWaitingFor(error)) throw error;
      logger.warn({ err: error, jobId, runId: run.id }, 'database locked or unreachable: the cancel is recorded, the instance holding the sync run stops it at its next heartbeat that reaches the database');
    });
    return true;
  }

  /** Waits for the run's end as the holder records it, up to `waitMs`; ends it here when its holder is gone. */
  async function untilEnded(jobId: string, runId: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const row = await orm.em.fork().findOne(SyncRun, { id: runId }, { fields: ['status', 'leaseExpiresAt'] });
      if (!row || row.status !== 'RUNNING') return;
      if ((row.leaseExpiresAt === null || row.leaseExpiresAt.getTime() <= now().getTime()) && (await endUnheld(jobId, runId))) return;
      if (Date.now() >= deadline) {
        logger.warn({ jobId, runId }, 'the instance holding the sync run has not stopped it yet; it will at its next heartbeat');
        return;
      }
      await delay(pollMs);
    }
  }

  return { cancelElsewhere, endUnheld };
}
