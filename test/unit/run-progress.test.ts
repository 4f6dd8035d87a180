import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { createRunProgress, type RunCounters } from '../../src/sync/run/run-progress.js';

function fakeStore() {
  const writes: Array<Partial<RunCounters>> = [];
  const store = { updateRun: async (fields: Partial<RunCounters>) => (writes.push(fields), true) } as unknown as CheckpointStore;
  return { store, writes };
}
const counters = (): RunCounters => ({ objectsTotal: 0, objectsDone: 0, objectsFailed: 0, objectsSkipped: 0, bytesTotal: 0, bytesDone: 0 });

afterEach(() => {
  vi.useRealTimers();
});

describe('run progress', () => {
  it('writes the run row at most once per interval however many chunks land, with in-flight bytes in bytesDone', async () => {
    vi.useFakeTimers();
    const { store, writes } = fakeStore();
    const c = { ...counters(), objectsTotal: 2, bytesTotal: 3000 };
    const progress = createRunProgress(store, c, { intervalMs: 500, onError: () => {} });
    for (let bytes = 10; bytes <= 1000; bytes += 10) progress.chunk({ key: 'a', etag: 'e' }, bytes);
    progress.chunk({ key: 'b', etag: 'e' }, 200);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(writes).toEqual([{ ...c, bytesDone: 1200 }]);

    // Object a ends: its size moves into the counters and its partial bytes leave the sum.
    c.objectsDone = 1;
    c.bytesDone = 2000;
    progress.settle('a');
    progress.chunk({ key: 'b', etag: 'e' }, 400);
    await vi.advanceTimersByTimeAsync(500);
    expect(writes.at(-1)).toMatchObject({ objectsDone: 1, bytesDone: 2400 });
    expect(writes).toHaveLength(2);
    // A late, smaller checkpoint never moves the count back.
    progress.chunk({ key: 'b', etag: 'e' }, 300);
    expect(progress.snapshot().bytesDone).toBe(2400);
  });

  it('stop() cancels the pending write and waits for one in progress', async () => {
    vi.useFakeTimers();
    const { store, writes } = fakeStore();
    const progress = createRunProgress(store, counters(), { intervalMs: 500, onError: () => {} });
    progress.changed();
    await progress.stop();
    await vi.advanceTimersByTimeAsync(1000);
    progress.changed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([]);
  });

  it('a failed write is reported, and later writes still happen', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let fail = true;
    const writes: unknown[] = [];
    const store = {
      updateRun: async (fields: unknown) => {
        if (fail) throw new Error('database is locked');
        writes.push(fields);
        return true;
      },
    } as unknown as CheckpointStore;
    const progress = createRunProgress(store, counters(), { intervalMs: 100, onError: (e) => errors.push(e) });
    progress.changed();
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    fail = false;
    progress.changed();
    await vi.advanceTimersByTimeAsync(100);
    expect(writes).toHaveLength(1);
  });
});
