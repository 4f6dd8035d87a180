import { describe, expect, test } from 'vitest';
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
});
