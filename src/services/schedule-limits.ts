import { parseSchedule } from '../scheduler/schedule.js';
import { formatInterval, shortestGapMs } from '../scheduler/schedule-gap.js';
import { InputError } from './errors.js';

/**
 * Refuses a schedule that fires more often than `minIntervalMs` (MIN_SCHEDULE_INTERVAL): a
 * six-field cron firing every second would start (or record as skipped) a run every second forever.
 * Call after the schedule itself has been checked.
 */
export function checkScheduleInterval(schedule: string, timezone: string | null | undefined, minIntervalMs: number, now: Date): void {
  if (minIntervalMs <= 0) return;
  const parsed = parseSchedule(schedule, timezone);
  if (!parsed.ok) return;
  const gap = shortestGapMs(parsed.schedule, now);
  if (gap < minIntervalMs) {
    throw new InputError(
      'schedule',
      `Invalid schedule, it fires every ${formatInterval(gap)} at times; runs must be at least ${formatInterval(minIntervalMs)} apart (MIN_SCHEDULE_INTERVAL)`,
    );
  }
}
