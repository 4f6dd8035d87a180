/**
 * A fixed number of tasks in flight: `run` waits for a free slot before starting the task (so a
 * producer such as a listing is held back), `drain` waits for every started task. A task that
 * throws frees its slot and is handed to `onTaskError` (log it, count it, fail the run): never
 * silently dropped.
 */
export function createLimiter(limit: number, onTaskError: (error: unknown) => void) {
  let active = 0;
  const waiters: Array<() => void> = [];
  const inFlight = new Set<Promise<void>>();

  return {
    async run(task: () => Promise<void>): Promise<void> {
      while (active >= limit) await new Promise<void>((resolve) => waiters.push(resolve));
      active += 1;
      const promise: Promise<void> = task()
        .catch(onTaskError)
        .finally(() => {
          active -= 1;
          inFlight.delete(promise);
          waiters.shift()?.();
        });
      inFlight.add(promise);
    },
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/** At most `limit` holders at once; `acquire` resolves with the release function. */
export function createSemaphore(limit: number) {
  let held = 0;
  const waiters: Array<() => void> = [];
  const release = () => {
    held -= 1;
    waiters.shift()?.();
  };
  return {
    async acquire(): Promise<() => void> {
      while (held >= limit) await new Promise<void>((resolve) => waiters.push(resolve));
      held += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
  };
}

export type Semaphore = ReturnType<typeof createSemaphore>;

/**
 * Iterates `source` one item ahead: the next page of a listing is requested while the current one
 * is being processed, so listing latency overlaps with the work.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    void next.then(() => iterator.return?.(), () => {});
  }
}

/**
 * Lets timers and I/O run (an `await` on a settled promise only reaches the microtask queue). Used
 * between slices of synchronous SQLite work so the API sharing the event loop is not held up.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
