import { describe, expect, it } from 'vitest';
import { advance, jobStatusAfterRun, planJob } from '../../src/scheduler/job-timing.js';
import { nextFireTime, parseSchedule, type Schedule } from '../../src/scheduler/schedule.js';

const MIN = 60_000;
const cron = (expression: string, timezone = 'UTC'): Schedule => ({ kind: 'cron', expression, timezone });
const at = (iso: string) => new Date(iso);

describe('named schedules', () => {
  it.each([
    ['quinqueminutely', 5 * MIN],
    ['DecaMinutely', 10 * MIN],
    ['half-hourly', 30 * MIN],
    ['hourly', 60 * MIN],
    ['daily', 24 * 60 * MIN],
    ['weekly', 7 * 24 * 60 * MIN],
    ['Monthly', 30 * 24 * 60 * MIN],
  ])('%s fires every %d ms, anchored at creation', (name, everyMs) => {
    const created = at('2026-11-26T10:17:00Z');
    const plan = planJob({ schedule: name, timezone: null, createdAt: created }, created);
    expect(plan.ok && plan.entry.nextRunAt.getTime()).toBe(created.getTime() + everyMs);
    // A restart 2.5 periods later keeps the cadence: the next time is still on the creation grid.
    const later = new Date(created.getTime() + 2.5 * everyMs);
    const again = planJob({ schedule: name, timezone: null, createdAt: created }, later);
    expect(again.ok && again.entry.nextRunAt.getTime()).toBe(created.getTime() + 3 * everyMs);
  });

  it('refuses unknown names and bad timezones, naming the field', () => {
    expect(parseSchedule('fortnightly')).toMatchObject({ ok: false, field: 'schedule' });
    expect(parseSchedule('0 3 * * *', 'Mars/Olympus')).toMatchObject({ ok: false, field: 'timezone' });
    expect(parseSchedule('61 * * * *')).toMatchObject({ ok: false, field: 'schedule' });
    expect(parseSchedule('* * *')).toMatchObject({ ok: false, field: 'schedule' });
    // Names of the lookup object's prototype are not schedules (once a 500: next_run_at = NaN).
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(parseSchedule(name), name).toMatchObject({ ok: false, field: 'schedule' });
    }
    const plan = planJob({ schedule: 'nope', timezone: null, createdAt: new Date() }, new Date());
    expect(plan.ok).toBe(false);
  });
});

describe('cron schedules', () => {
  it('reads a 5-field expression in its timezone', () => {
    // 03:00 in New York is 08:00 UTC in winter.
    expect(nextFireTime(cron('0 3 * * *', 'America/New_York'), at('2026-11-26T09:00:00Z'))).toEqual(
      at('2026-11-27T08:00:00Z'),
    );
    expect(nextFireTime(cron('*/15 * * * *'), at('2026-11-26T10:07:00Z'))).toEqual(at('2026-11-26T10:15:00Z'));
  });

  it('supports a 6-field expression with seconds', () => {
    expect(nextFireTime(cron('*/10 * * * * *'), at('2026-11-26T10:00:03Z'))).toEqual(at('2026-11-26T10:00:10Z'));
    expect(nextFireTime(cron('*/1 * * * * *'), at('2026-11-26T10:00:03.500Z'))).toEqual(at('2026-11-26T10:00:04Z'));
  });

  it('keeps local wall time across the spring DST change (Europe/Paris, 2026-03-29)', () => {
    const daily9 = cron('0 9 * * *', 'Europe/Paris');
    const before = nextFireTime(daily9, at('2026-03-28T06:00:00Z'));
    expect(before).toEqual(at('2026-03-28T08:00:00Z')); // 09:00 CET = UTC+1
    const after = nextFireTime(daily9, before);
    expect(after).toEqual(at('2026-03-29T07:00:00Z')); // 09:00 CEST = UTC+2: 23 h later
  });

  it('fires a wall time skipped by the spring change once, just after the gap', () => {
    // 02:30 does not exist in Paris on 2026-03-29: it runs once at 03:30 CEST, then at 02:30 CEST again.
    const daily230 = cron('30 2 * * *', 'Europe/Paris');
    const first = nextFireTime(daily230, at('2026-03-28T12:00:00Z'));
    expect(first).toEqual(at('2026-03-29T01:30:00Z'));
    expect(nextFireTime(daily230, first)).toEqual(at('2026-03-30T00:30:00Z'));
  });

  it('keeps local wall time across the autumn DST change (Europe/Paris, 2026-10-25)', () => {
    const daily9 = cron('0 9 * * *', 'Europe/Paris');
    expect(nextFireTime(daily9, at('2026-10-24T12:00:00Z'))).toEqual(at('2026-10-25T08:00:00Z')); // CET again
    // 02:30 happens twice that night; it fires once.
    const daily230 = cron('30 2 * * *', 'Europe/Paris');
    const first = nextFireTime(daily230, at('2026-10-24T12:00:00Z'));
    expect(first).toEqual(at('2026-10-25T00:30:00Z'));
    expect(nextFireTime(daily230, first)).toEqual(at('2026-10-26T01:30:00Z'));
  });

  it('advance moves an entry past now, not by a burst of missed times', () => {
    const plan = planJob({ schedule: 'hourly', timezone: null, createdAt: at('2026-11-26T00:00:00Z') }, at('2026-11-26T00:30:00Z'));
    if (!plan.ok) throw new Error('plan failed');
    expect(advance(plan.entry, at('2026-11-26T05:10:00Z'))).toEqual(at('2026-11-26T06:00:00Z'));
  });
});

it('maps a run outcome to the job status', () => {
  expect(jobStatusAfterRun('SUCCEEDED')).toBe('SCHEDULED');
  expect(jobStatusAfterRun('FAILED')).toBe('FAILED');
  expect(jobStatusAfterRun('CANCELLED')).toBe('CANCELLED');
});

describe('the autumn DST change: asked from inside the repeated hour', () => {
  // Europe/Paris, 25 Oct 2026: 02:00–03:00 comes twice, first CEST (00:00–01:00Z), then CET (01:00–02:00Z).
  const repeatedHour = at('2026-10-25T01:10:00Z'); // 02:10 CET, the second pass

  it.each([
    ['30 2 * * *', '2026-10-26T01:30:00.000Z'],
    // croner runs the repeated hour once (its first pass): the next quarter is 03:00 CET.
    ['*/15 * * * *', '2026-10-25T02:00:00.000Z'],
    ['0 30 2 * * *', '2026-10-26T01:30:00.000Z'],
    ['10 2 * * *', '2026-10-26T01:10:00.000Z'],
  ])('%s: the next fire time is after now, never the hour\'s first pass', (expression, expected) => {
    expect(nextFireTime(cron(expression, 'Europe/Paris'), repeatedHour).toISOString()).toBe(expected);
  });

  it('planJob never plans a time in the past there', () => {
    const plan = planJob({ schedule: '*/15 * * * *', timezone: 'Europe/Paris', createdAt: at('2026-01-01T00:00:00Z') }, repeatedHour);
    expect(plan.ok && plan.entry.nextRunAt.getTime()).toBeGreaterThan(repeatedHour.getTime());
  });
});
