import { nextFireTime, type Schedule } from './schedule.js';

/** Fire times looked at when measuring a cron's shortest gap: enough to cover the patterns of a day. */
const SAMPLED_FIRES = 100;

/**
 * The shortest time between two consecutive fire times of `schedule`, over its next fire times
 * after `from` (exact for intervals; for cron, over the next 100 fires). Pure.
 */
export function shortestGapMs(schedule: Schedule, from: Date): number {
  if (schedule.kind === 'interval') return schedule.everyMs;
  let previous = nextFireTime(schedule, from);
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < SAMPLED_FIRES; i++) {
    const next = nextFireTime(schedule, previous);
    shortest = Math.min(shortest, next.getTime() - previous.getTime());
    previous = next;
  }
  return shortest;
}

/** `120000` → `2m`, `1500` → `1.5s`: how the limit is shown in messages. */
export function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
