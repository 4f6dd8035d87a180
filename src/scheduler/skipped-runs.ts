import { raw, type EntityManager } from '@mikro-orm/core';
import type { RunTrigger } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';

export interface SkippedTick {
  jobId: string;
  trigger: RunTrigger;
  /** The run still in progress, named in the row's reason. */
  busyRunId: number | null;
  at: Date;
}

/**
 * Records a tick that found the job's previous run still going. Consecutive skipped ticks (no other
 * run of the job recorded in between, same trigger) share one SKIPPED row: its `skippedCount` grows
 * and `finishedAt` moves to the latest, so a cron firing every second during an hour-long run adds
 * one row, not 3,600. Returns the row and whether it is new.
 */
export async function recordSkippedRun(em: EntityManager, tick: SkippedTick): Promise<{ run: SyncRun; coalesced: boolean }> {
  const error = `Skipped: ${tick.busyRunId ? `run ${tick.busyRunId}` : 'a run'} of this job is still in progress`;
  const latest = await em.findOne(SyncRun, { jobId: tick.jobId }, { orderBy: { id: 'desc' } });
  if (latest && latest.status === 'SKIPPED' && latest.trigger === tick.trigger) {
    await em.nativeUpdate(
      SyncRun,
      { id: latest.id, status: 'SKIPPED' },
      { skippedCount: raw('skipped_count + 1'), finishedAt: tick.at, error },
    );
    await em.refresh(latest);
    return { run: latest, coalesced: true };
  }
  const run = new SyncRun({
    jobId: tick.jobId,
    trigger: tick.trigger,
    status: 'SKIPPED',
    startedAt: tick.at,
    finishedAt: tick.at,
    skippedCount: 1,
    error,
  });
  await em.persistAndFlush(run);
  return { run, coalesced: false };
}
