import { describe, expect, test } from 'vitest';
import { retryAfterMs } from '../../src/notify/retry-after.js';

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date in any of its three forms, always GMT. */
describe('retryAfterMs', () => {
  test.each([
    ['120', 120_000],
    [' 7 ', 7_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Thursday, 01-Jan-26 00:00:10 GMT', 10_000],
    ['Thu Jan  1 00:00:10 2026', 10_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['Wednesday, 31-Dec-99 23:59:59 GMT', 0],
  ])('%j → %d ms', (value, expected) => {
    expect(retryAfterMs(503, value, NOW)).toBe(expected);
  });

  test.each(['', 'soon', 'x 1', '-5', '1.5', '1e3', '+5', 'Thu, 31 Feb 2026 00:00:10 GMT', 'Thu, 01 Jan 2026 24:00:00 GMT', 'Thu, 01 Jan 2026 00:00:10 +0000', '2026-01-01T00:00:10Z'])(
    '%j is invalid',
    (value) => {
      expect(retryAfterMs(429, value, NOW)).toBeNull();
    },
  );

  test('only 429 and 503 answers ask for a wait', () => {
    expect(retryAfterMs(500, '5', NOW)).toBeNull();
    expect(retryAfterMs(301, '5', NOW)).toBeNull();
    expect(retryAfterMs(429, undefined, NOW)).toBeNull();
  });
});
