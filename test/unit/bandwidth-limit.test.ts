import { describe, expect, test } from 'vitest';
import { createTokenBucket, type TokenBucketClock } from '../../src/sync/transport/bandwidth-limit.js';

/** A clock that only moves when a taker sleeps: the total sleep is the time the limit imposes. */
function fakeClock(): TokenBucketClock & { elapsedMs: () => number } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    elapsedMs: () => now,
  };
}

describe('token bucket', () => {
  test('10 MiB through a 1 MiB/s bucket takes ~10 s (less the quarter-second burst)', async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket(1024 * 1024, clock);
    for (let i = 0; i < 160; i++) await bucket.take(64 * 1024);
    expect(clock.elapsedMs()).toBeCloseTo(10_000 - 250, 0);
  });

  test('several transfers share one budget: the total rate is the limit, not the limit per transfer', async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket(100_000, clock);
    // Four "GETs" taking 16 KB pieces interleaved: 4 × 25 × 16 KB = 1.6 MB at 100 KB/s.
    for (let round = 0; round < 25; round++) await Promise.all([0, 1, 2, 3].map(() => bucket.take(16_000)));
    expect(clock.elapsedMs()).toBeGreaterThanOrEqual(16_000 - 250 - 1);
    expect(clock.elapsedMs()).toBeLessThanOrEqual(16_000 * 4);
  });

  test('idle time refills up to the burst only', async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket(1000, clock);
    await bucket.take(250); // the burst
    expect(clock.elapsedMs()).toBe(0);
    await clock.sleep(60_000); // a minute idle earns a quarter second, not a minute
    await bucket.take(1250);
    expect(clock.elapsedMs()).toBe(60_000 + 1000);
  });
});
