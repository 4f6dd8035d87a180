/**
 * Calls `beat` every third of `ttlMs` (at most every 100 ms) so what it renews never expires while
 * this process lives; a beat still in flight skips the next tick, and `stop` waits for it.
 */
export function createHeartbeat(beat: () => Promise<unknown>, ttlMs: number, onError: (err: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<unknown> | undefined;
  return {
    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        if (beating) return;
        beating = beat()
          .catch(onError)
          .finally(() => (beating = undefined));
      }, Math.max(100, Math.floor(ttlMs / 3)));
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await beating;
    },
  };
}
