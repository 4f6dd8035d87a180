/**
 * At most `limit` holders at once; `acquire` resolves with the release function. Waiters are served
 * in arrival order (a freed slot passes straight to the oldest one), so no holder can keep others
 * out for ever. An `acquire` whose `signal` aborts while waiting leaves the queue and rejects.
 */
export function createSemaphore(limit: number) {
  let held = 0;
  const waiters: Array<() => void> = [];
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else held -= 1;
  };
  const holder = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
  return {
    async acquire(signal?: AbortSignal): Promise<() => void> {
      signal?.throwIfAborted();
      if (held < limit) {
        held += 1;
        return holder();
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(holder());
        };
        const onAbort = () => {
          waiters.splice(waiters.indexOf(grant), 1);
          reject(signal?.reason);
        };
        waiters.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

export type Semaphore = ReturnType<typeof createSemaphore>;
