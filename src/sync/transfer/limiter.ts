import { createSemaphore, type Semaphore } from '../../config/semaphore.js';

/**
 * A fixed number of tasks in flight: `run` waits for a free slot before starting the task (so a
 * producer such as a listing is held back), `drain` waits for every started task. A task that
 * throws frees its slot and is handed to `onTaskError` (log it, count it, fail the run): never
 * silently dropped.
 *
 * With `shared`, a task also holds one of the `shared.slots` (a bound over several limiters, e.g.
 * every run of the process) and frees both when it ends. A limiter whose `shared.signal` aborts
 * while waiting for a shared slot starts no task: `run` then returns without running it.
 *
 * With `admit`, a task first waits for the promise it returns (back-pressure from what the tasks
 * feed, e.g. their rows' commits); undefined means go on at once, with no wait added.
 */
export function createLimiter(
  limit: number,
  onTaskError: (error: unknown) => void,
  shared?: { slots: Semaphore; signal?: AbortSignal },
  admit?: () => Promise<void> | undefined,
) {
  const own = createSemaphore(limit);
  const inFlight = new Set<Promise<void>>();

  return {
    async run(task: () => Promise<void>): Promise<void> {
      const admitted = admit?.();
      if (admitted) await admitted;
      const releaseOwn = await own.acquire();
      let releaseShared = () => {};
      if (shared) {
        try {
          releaseShared = await shared.slots.acquire(shared.signal);
        } catch {
          return releaseOwn();
        }
      }
      const promise: Promise<void> = new Promise<void>((resolve) => resolve(task()))
        .catch(onTaskError)
        .finally(() => {
          releaseShared();
          releaseOwn();
          inFlight.delete(promise);
        });
      inFlight.add(promise);
    },
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

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
