import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RunTrigger } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { inPlainTransaction } from '../db/plain-transaction.js';
import { lockJobUnlessPaused } from './job-status.js';
import { DUE_TIME_TRIGGERS, SCHEDULED_TRIGGERS } from './scheduled-triggers.js';
import { recordSkippedRun } from './skipped-runs.js';


export type DueRun =
  /** This instance inserted the job's RUNNING run for the due time: it runs it. */
  | { kind: 'started'; run: SyncRun }
  /** The job already had a run going: this due time is recorded as SKIPPED (once, whoever recorded it), in a new row or coalesced into the series' row. */
  | { kind: 'skipped'; run: SyncRun; coalesced: boolean }
  /** Another instance recorded this due time first: nothing to do here. */
  | { kind: 'taken' }
  /** The job is paused (or gone): the schedule's due time is not run. */
  | { kind: 'paused' };

export interface DueRunRequest {
  jobId: string;
  trigger: RunTrigger;
  scheduledFor: Date;
  startedAt: Date;
  /** Set when this process knows the job is busy (its own run, id null while it starts): no RUNNING insert is tried. */
  busy?: { runId: number | null };
  lease: Pick<SyncRun, 'instanceId' | 'leaseOwner' | 'leaseExpiresAt'>;
  /** MIN_SCHEDULE_INTERVAL: a schedule's due time this close to another one recorded (by any instance) is taken. */
  minIntervalMs?: number;
}

/**
 * Records one due time of a job through the database, so that every instance can try and exactly
 * one succeeds: `(job_id, scheduled_for)` of the schedule's runs and of first runs is unique, and so
 * is a job's RUNNING run (partial unique indexes). A manual trigger is a due time of its own: it is never `taken`.
 * Inserting the RUNNING row either wins, or fails because the due time was taken (→ taken) or the
 * job is busy (→ a SKIPPED row for the due time, unless another instance recorded it first).
 * A due time's RUNNING row goes in only while its job is not paused, and a pause waits for it.
 */
export async function recordDueRun(orm: Orm, request: DueRunRequest): Promise<DueRun> {
  const { jobId, trigger, scheduledFor, startedAt } = request;
  if (request.minIntervalMs && SCHEDULED_TRIGGERS.includes(trigger) && (await dueTimeNearby(orm, jobId, scheduledFor, request.minIntervalMs))) {
    return { kind: 'taken' };
  }
  if (!request.busy) {
    const run = new SyncRun({ jobId, trigger, status: 'RUNNING', startedAt, scheduledFor, ...request.lease });
    const inserted = await insertUnlessTaken(orm, run);
    if (inserted === 'paused') return { kind: 'paused' };
    if (inserted) return { kind: 'started', run };
    if (await dueTimeTaken(orm, jobId, scheduledFor)) return { kind: 'taken' };
  }
  const runningId = request.busy ? request.busy.runId : await runningRunId(orm, jobId);
  const skipped = await recordSkippedRun(orm, {
    jobId,
    trigger,
    busyRunId: runningId,
    scheduledFor,
    at: startedAt,
    instanceId: request.lease.instanceId,
  });
  return skipped ? { kind: 'skipped', ...skipped } : { kind: 'taken' };
}

/** False when a unique index refused the row (its due time taken, or the job busy). */
async function insertUnlessTaken(orm: Orm, run: SyncRun): Promise<boolean | 'paused'> {
  try {
    if (DUE_TIME_TRIGGERS.includes(run.trigger)) return await insertWhileNotPaused(orm, run);
    // A fresh fork each time: on PostgreSQL a failed insert leaves nothing behind in this fork's state.
    await orm.em.fork().persistAndFlush(run);
    return true;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
}

/**
 * A pause (through any instance) either lands first, and the due time is not run, or waits for this
 * insert to commit: its look-up of the job's RUNNING runs then finds this one and stops it. The tick's
 * own read of the row is no guard, a pause can land between it and the insert.
 */
async function insertWhileNotPaused(orm: Orm, run: SyncRun): Promise<boolean | 'paused'> {
  return inPlainTransaction(orm, async (em) => {
    if (!(await lockJobUnlessPaused(orm, em, run.jobId, 'share'))) return 'paused';
    await em.insert(run);
    return true;
  });
}

async function dueTimeTaken(orm: Orm, jobId: string, scheduledFor: Date): Promise<boolean> {
  return (await orm.em.fork().count(SyncRun, { jobId, scheduledFor, trigger: { $in: DUE_TIME_TRIGGERS } })) > 0;
}

/**
 * Every instance advances its own copy of a schedule, each from the due time it fired: a schedule
 * finer than the minimum (stored before the limit) fires at different times on each, so the spacing
 * is checked against the due times recorded by all of them.
 */
async function dueTimeNearby(orm: Orm, jobId: string, scheduledFor: Date, minIntervalMs: number): Promise<boolean> {
  const at = scheduledFor.getTime();
  const nearby = { $gt: new Date(at - minIntervalMs), $lt: new Date(at + minIntervalMs), $ne: scheduledFor };
  return (await orm.em.fork().count(SyncRun, { jobId, trigger: { $in: SCHEDULED_TRIGGERS }, scheduledFor: nearby })) > 0;
}

async function runningRunId(orm: Orm, jobId: string): Promise<number | null> {
  const running = await orm.em.fork().findOne(SyncRun, { jobId, status: 'RUNNING' }, { fields: ['id'] });
  return running?.id ?? null;
}
