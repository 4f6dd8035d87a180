import { describe, expect, test } from 'vitest';
import { createSemaphore } from '../../src/config/semaphore.js';
import { createLimiter } from '../../src/sync/transfer/limiter.js';

describe('limiter', () => {
  test('a task that throws is handed to onTaskError, frees its slot, and the others still run', async () => {
    const errors: unknown[] = [];
    const limiter = createLimiter(1, (error) => errors.push(error));
    const ran: string[] = [];
    await limiter.run(async () => {
      ran.push('first');
      throw new Error('boom');
    });
    await limiter.run(async () => {
      ran.push('second');
    });
    await limiter.drain();
    expect(ran).toEqual(['first', 'second']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });

  test('never more than `limit` tasks in flight', async () => {
    const limiter = createLimiter(2, () => {});
    let active = 0;
    let most = 0;
    for (let i = 0; i < 6; i += 1) {
      await limiter.run(async () => {
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setImmediate(resolve));
        active -= 1;
      });
    }
    await limiter.drain();
    expect(most).toBe(2);
  });

  test('limiters sharing slots keep their sum within the shared bound, each within its own', async () => {
    const shared = createSemaphore(3);
    let active = 0;
    let most = 0;
    const perRun = [0, 0];
    const mostPerRun = [0, 0];
    const runs = [0, 1].map((run) => ({ run, limiter: createLimiter(2, () => {}, { slots: shared }) }));
    const task = (run: number) => async () => {
      active += 1;
      perRun[run]! += 1;
      most = Math.max(most, active);
      mostPerRun[run] = Math.max(mostPerRun[run]!, perRun[run]!);
      await new Promise((resolve) => setImmediate(resolve));
      perRun[run]! -= 1;
      active -= 1;
    };
    await Promise.all(runs.map(async ({ run, limiter }) => {
      for (let i = 0; i < 6; i += 1) await limiter.run(task(run));
      await limiter.drain();
    }));
    expect(most).toBe(3);
    expect(mostPerRun).toEqual([2, 2]);
  });

  test('a shared slot is freed by a task that throws, and handed out in arrival order', async () => {
    const shared = createSemaphore(1);
    const order: string[] = [];
    const a = createLimiter(5, () => order.push('a failed'), { slots: shared });
    const b = createLimiter(5, () => {}, { slots: shared });
    await a.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('boom');
    });
    // b asks for the slot before a asks again: b is served first.
    const bQueued = b.run(async () => void order.push('b'));
    const aQueued = a.run(async () => void order.push('a again'));
    await Promise.all([bQueued, aQueued]);
    await Promise.all([a.drain(), b.drain()]);
    expect(order).toEqual(['a failed', 'b', 'a again']);
  });

  test('a run aborted while waiting for a shared slot starts nothing and leaves the queue', async () => {
    const shared = createSemaphore(1);
    const release = await shared.acquire();
    const abort = new AbortController();
    const ran: string[] = [];
    const cancelled = createLimiter(5, () => {}, { slots: shared, signal: abort.signal });
    const other = createLimiter(5, () => {}, { slots: shared });
    const waiting = cancelled.run(async () => void ran.push('cancelled'));
    abort.abort();
    await waiting;
    // Once cancelled, it no longer asks at all.
    await cancelled.run(async () => void ran.push('cancelled again'));
    const otherQueued = other.run(async () => void ran.push('other'));
    release();
    await otherQueued;
    await other.drain();
    expect(ran).toEqual(['other']);
  });
});
