/**
 * Promises waiting on a condition their owner tracks (a position reached, room freed), each also
 * resolved by its own signal's abort: `wait` parks one with its mark, and the owner calls `wake`
 * whenever the condition may have changed.
 */
export function createWaiters<Mark>() {
  let waiting: Array<{ mark: Mark; resolve: () => void }> = [];
  return {
    wait(mark: Mark, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          waiting = waiting.filter((waiter) => waiter.resolve !== done);
          resolve();
        };
        waiting.push({ mark, resolve: done });
        signal.addEventListener('abort', done, { once: true });
      });
    },
    /** Resolves the waiters whose mark `reached` says is reached now. */
    wake(reached: (mark: Mark) => boolean): void {
      for (const waiter of waiting.filter((w) => reached(w.mark))) waiter.resolve();
    },
  };
}
