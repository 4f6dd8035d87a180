/**
 * A fixed number of tasks in flight: `run` waits for a free slot before starting the task (so a
 * producer such as a listing is held back), `drain` waits for every started task.
 */
export function createLimiter(limit: number) {
  let active = 0;
  const waiters: Array<() => void> = [];
  const inFlight = new Set<Promise<void>>();

  return {
    async run(task: () => Promise<void>): Promise<void> {
      while (active >= limit) await new Promise<void>((resolve) => waiters.push(resolve));
      active += 1;
      const promise: Promise<void> = task()
        .catch(() => {})
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
