import { Cron } from 'croner';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The old service's named intervals (matched case-insensitively). */
export const NAMED_SCHEDULES: Readonly<Record<string, number>> = {
  quinqueminutely: 5 * MINUTE,
  decaminutely: 10 * MINUTE,
  'half-hourly': 30 * MINUTE,
  hourly: HOUR,
  daily: DAY,
  weekly: 7 * DAY,
  monthly: 30 * DAY,
};

export const NAMED_SCHEDULE_LIST = Object.keys(NAMED_SCHEDULES);

export type Schedule =
  | { kind: 'interval'; name: string; everyMs: number }
  | { kind: 'cron'; expression: string; timezone: string };

export type ScheduleResult = { ok: true; schedule: Schedule } | { ok: false; field: 'schedule' | 'timezone'; message: string };

export const INVALID_SCHEDULE_MESSAGE =
  `Invalid schedule, supported one: [${NAMED_SCHEDULE_LIST.map((n) => `'${n}'`).join(', ')}]` +
  ' or a 5- or 6-field cron expression such as "*/15 * * * *"';

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a named interval or a cron expression (with an optional IANA timezone, default UTC). Pure. */
export function parseSchedule(text: string, timezone?: string | null): ScheduleResult {
  const trimmed = text.trim();
  const zone = timezone?.trim() || 'UTC';
  if (!isValidTimezone(zone)) {
    return { ok: false, field: 'timezone', message: `Invalid timezone "${timezone}", expected an IANA name such as Europe/Paris` };
  }
  const name = trimmed.toLowerCase();
  // Own keys only: "__proto__" or "constructor" must not read the object's prototype.
  if (Object.hasOwn(NAMED_SCHEDULES, name)) return { ok: true, schedule: { kind: 'interval', name, everyMs: NAMED_SCHEDULES[name]! } };

  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return { ok: false, field: 'schedule', message: INVALID_SCHEDULE_MESSAGE };
  try {
    const cron = new Cron(trimmed, { timezone: zone, paused: true });
    if (cron.nextRun() === null) throw new Error('never fires');
  } catch {
    return { ok: false, field: 'schedule', message: INVALID_SCHEDULE_MESSAGE };
  }
  return { ok: true, schedule: { kind: 'cron', expression: trimmed, timezone: zone } };
}

/**
 * The first fire time strictly after `after`. Intervals count from `anchor` (the job's creation or
 * its last scheduled run), so a restart does not shift the cadence.
 */
export function nextFireTime(schedule: Schedule, after: Date, anchor: Date = after): Date {
  if (schedule.kind === 'interval') {
    const elapsed = Math.max(0, after.getTime() - anchor.getTime());
    const periods = Math.floor(elapsed / schedule.everyMs) + 1;
    return new Date(anchor.getTime() + periods * schedule.everyMs);
  }
  const cron = new Cron(schedule.expression, { timezone: schedule.timezone, paused: true });
  let next = cron.nextRun(after);
  // Asked from inside a repeated hour (the autumn DST change), croner may answer the hour's first
  // pass, before `after`; from a fire time it moves forward. A few steps at most.
  for (let step = 0; next !== null && next <= after; step += 1) {
    if (step === 100) throw new Error(`cron "${schedule.expression}" gives no run after ${after.toISOString()}`);
    next = cron.nextRun(next);
  }
  if (next === null) throw new Error(`cron "${schedule.expression}" has no future run`);
  return next;
}
