import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';

describe('MIN_SCHEDULE_INTERVAL, RUN_HISTORY_DAYS, RUN_HISTORY_MAX', () => {
  it.each([
    ['60s', 60_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['90', 90_000],
    ['0', 0],
    ['24h', 86_400_000],
  ])('MIN_SCHEDULE_INTERVAL=%s is %d ms', (value, ms) => {
    expect(loadConfig({ MIN_SCHEDULE_INTERVAL: value }).minScheduleIntervalMs).toBe(ms);
  });

  it('reads the history limits', () => {
    expect(loadConfig({ RUN_HISTORY_DAYS: '7', RUN_HISTORY_MAX: '50' }).runHistory).toEqual({ maxAgeDays: 7, maxPerJob: 50 });
    expect(loadConfig({ RUN_HISTORY_DAYS: '0', RUN_HISTORY_MAX: '0' }).runHistory).toEqual({ maxAgeDays: 0, maxPerJob: 0 });
  });

  it.each([
    ['MIN_SCHEDULE_INTERVAL', 'soon'],
    ['MIN_SCHEDULE_INTERVAL', '-5s'],
    ['MIN_SCHEDULE_INTERVAL', '25h'],
    ['MIN_SCHEDULE_INTERVAL', '90 seconds'],
    ['RUN_HISTORY_DAYS', '-1'],
    ['RUN_HISTORY_DAYS', 'month'],
    ['RUN_HISTORY_MAX', '1e3'],
  ])('refuses %s=%j with one line naming it and an example', (name, value) => {
    let message = '';
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^invalid ${name} \\(got "${value.replace('.', '\\.')}"\\): .*e\\.g\\. \\S+$`));
    expect(message.split('\n')).toHaveLength(1);
  });
});
