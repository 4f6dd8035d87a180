import type { JobStatus, RunStatus, RunTrigger } from '../db/entities/statuses.js';
import { nextFireTime, parseSchedule, type Schedule } from './schedule.js';

/** What the timer loop needs to know about one job's schedule. */
export interface ScheduledEntry {
  schedule: Schedule;
  /** Interval schedules count from here (the job's creation), so restarts keep the cadence. */
  anchor: Date;
  nextRunAt: Date;
  /**
   * How the run of `nextRunAt` is recorded: CATCH_UP for a due time missed while no process ran,
   * CREATED for a new job's first run not recorded yet (for the job's creation: see `owesFirstRun`).
   */
  trigger: Extract<RunTrigger, 'SCHEDULE' | 'CATCH_UP' | 'CREATED'>;
}

/** Builds a job's timing entry from its row, or explains why its stored schedule is unusable. Pure. */
export function planJob(
  job: { schedule: string; timezone: string | null; createdAt: Date },
  now: Date,
): { ok: true; entry: ScheduledEntry } | { ok: false; message: string } {
  const parsed = parseSchedule(job.schedule, job.timezone);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const anchor = job.createdAt;
  return { ok: true, entry: { schedule: parsed.schedule, anchor, nextRunAt: nextFireTime(parsed.schedule, now, anchor), trigger: 'SCHEDULE' } };
}

/**
 * Whether the job was created and its first run is not recorded yet: the create stores the job with
 * `nextRunAt` equal to `createdAt`, to the millisecond, until that run's row goes in (a fire time is
 * planned after the moment of planning, a moment after the creation). Paused jobs (nextRunAt null) owe none. Pure.
 */
export function owesFirstRun(job: { createdAt: Date; nextRunAt: Date | null }): boolean {
  return job.nextRunAt !== null && job.nextRunAt.getTime() === job.createdAt.getTime();
}

/**
 * The fire time after `now` for an entry whose `nextRunAt` has just fired, and at least
 * `minIntervalMs` after that fire time: a job stored with a schedule finer than
 * MIN_SCHEDULE_INTERVAL (before the limit existed) skips the fire times in between. A first run is
 * none of the schedule's fire times: the schedule goes on from `now`, as if planned at the create. Pure.
 */
export function advance(entry: ScheduledEntry, now: Date, minIntervalMs = 0): Date {
  if (entry.trigger === 'CREATED') return nextFireTime(entry.schedule, now, entry.anchor);
  const earliest = Math.max(now.getTime(), entry.nextRunAt.getTime() + minIntervalMs - 1);
  return nextFireTime(entry.schedule, new Date(earliest), entry.anchor);
}

/** A job's status once its run has ended (a PAUSED job stays PAUSED; the caller guards that). */
export function jobStatusAfterRun(status: RunStatus): JobStatus {
  switch (status) {
    case 'FAILED':
      return 'FAILED';
    case 'CANCELLED':
      return 'CANCELLED';
    default:
      return 'SCHEDULED';
  }
}

/** The next `count` fire times of a job's schedule after `now` (a preview; whether the job is paused is not considered). Pure. */
export function upcomingRuns(job: { schedule: string; timezone: string | null; createdAt: Date }, now: Date, count: number): Date[] {
  const parsed = parseSchedule(job.schedule, job.timezone);
  if (!parsed.ok) return [];
  const times: Date[] = [];
  let after = now;
  while (times.length < count) {
    after = nextFireTime(parsed.schedule, after, job.createdAt);
    times.push(after);
  }
  return times;
}
