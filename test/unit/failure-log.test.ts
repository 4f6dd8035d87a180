import { describe, expect, it } from 'vitest';
import { createFailureLog, FAILURE_REMINDER_MS } from '../../src/config/failure-log.js';
import { captureLogs } from '../helpers/logs.js';

describe('a loop failing on every attempt', () => {
  it('logs the first failure, then one line a minute with the count, then one line when it recovers', () => {
    const { logger, lines } = captureLogs();
    let clock = 1_000_000;
    const log = createFailureLog(logger, { failed: 'tick failed', recovered: 'ticks succeed again' }, () => clock);

    log.succeeded(); // no streak: nothing to say
    for (let attempt = 0; attempt < 240; attempt++) {
      log.failed(new Error(`database down (${attempt})`));
      clock += 500;
    }
    // 240 failures, one every 0.5 s: the first is logged, then one reminder a minute later.
    expect(lines.map((l) => l.msg)).toEqual(['tick failed', 'tick failed (still failing)']);
    expect(lines[0]).toMatchObject({ level: 50, err: { message: 'database down (0)' } });
    expect(lines[1]).toMatchObject({ level: 50, failures: 121, failingForMs: FAILURE_REMINDER_MS, err: { message: 'database down (120)' } });

    log.succeeded();
    log.succeeded();
    expect(lines.slice(2)).toEqual([expect.objectContaining({ level: 30, msg: 'ticks succeed again', failures: 240, failedForMs: 120_000 })]);

    // A new streak is logged at once.
    log.failed(new Error('down again'));
    expect(lines.slice(3)).toEqual([expect.objectContaining({ level: 50, msg: 'tick failed', err: expect.objectContaining({ message: 'down again' }) })]);
  });
});
