import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWaitClock } from '../../src/sync/checkpoint/run-stats.js';

afterEach(() => {
  vi.useRealTimers();
});

const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('checkpoint wait clock', () => {
  it('counts each moment once however many objects wait, and a failed wait too', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    let overlapping = 0;
    let each = 0;
    const clock = createWaitClock({ each: (ms) => (each += ms), overlapping: (ms) => (overlapping += ms) });

    // Three objects wait together for 100, 150 and 40 ms: 150 ms of the run, 290 ms summed.
    const together = Promise.all([clock.time(after(100)), clock.time(after(150)), clock.time(after(40))]);
    await vi.advanceTimersByTimeAsync(200);
    await together;
    expect(overlapping).toBe(150);
    expect(each).toBe(290);

    // A later wait that fails still counts, and the error reaches the caller.
    const failing = clock.time(after(30).then(() => Promise.reject(new Error('fdatasync failed'))));
    const caught = failing.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(30);
    expect(await caught).toBe('fdatasync failed');
    expect(overlapping).toBe(180);
    expect(each).toBe(320);
  });
});
