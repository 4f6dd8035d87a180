import { raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RunTrigger } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { DUE_TIME_TRIGGERS } from './scheduled-triggers.js';

export interface SkippedTick {
  jobId: string;
  trigger: RunTrigger;
  /** The run still in progress, named in the row's reason. */
  busyRunId: number | null;
  /** The due time this tick is for (the schedule's, or the trigger's moment). */
  scheduledFor: Date;
  at: Date;
  instanceId: string | null;
}

export interface SkippedRecord {
  run: SyncRun;
  /** True when the tick only bumped the count of the series' row. */
  coalesced: boolean;
}

/**
 * Records a tick that found the job's previous run still going. Consecutive skipped ticks (no other
 * run of the job recorded in between, same trigger) share one SKIPPED row: its `skippedCount` grows,
 * `finishedAt` moves to the latest tick and `scheduledFor` to the latest due time, so a cron firing
 * every second during an hour-long run adds one row, not 3,600. Returns null when another instance
 * already recorded this due time (the row's `scheduledFor` is not older, or the insert hit the
 * unique due-time index), so each due time is counted once across instances.
 */
export async function recordSkippedRun(orm: Orm, tick: SkippedTick): Promise<SkippedRecord | null> {
  const em = orm.em.fork();
  const error = `Skipped: ${tick.busyRunId ? `run ${tick.busyRunId}` : 'a run'} of this job is still in progress`;
  const scheduled = DUE_TIME_TRIGGERS.includes(tick.trigger);
  try {
    const latest = await em.findOne(SyncRun, { jobId: tick.jobId }, { orderBy: { id: 'desc' } });
    // Only a row recorded while this busy run went is of the same series: a busy run whose row is not
    // in yet (a trigger racing another) leaves the newest row one of an earlier series.
    const sameSeries = latest && tick.busyRunId !== null && latest.id > tick.busyRunId;
    if (latest && sameSeries && latest.status === 'SKIPPED' && latest.trigger === tick.trigger) {
      const updated = await em.nativeUpdate(
        SyncRun,
        { id: latest.id, status: 'SKIPPED', ...(scheduled ? { scheduledFor: { $lt: tick.scheduledFor } } : {}) },
        { skippedCount: raw('skipped_count + 1'), finishedAt: tick.at, scheduledFor: tick.scheduledFor, error },
      );
      if (updated === 0) return null;
      await em.refresh(latest);
      return { run: latest, coalesced: true };
    }
    const run = new SyncRun({
      jobId: tick.jobId,
      trigger: tick.trigger,
      status: 'SKIPPED',
      startedAt: tick.at,
      finishedAt: tick.at,
      scheduledFor: tick.scheduledFor,
      instanceId: tick.instanceId,
      skippedCount: 1,
      error,
    });
    // A fork of its own: flushing `em` would also write back `latest` as loaded (its lease included).
    await orm.em.fork().persistAndFlush(run);
    return { run, coalesced: false };
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) return null;
    throw err;
  }
}
