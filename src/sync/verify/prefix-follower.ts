/**
 * Hashes a file's contiguous prefix as it grows, in the background and in file order: `hashFrom`
 * hashes some bytes from `hashed` on (at most up to `target`) and returns the offset it reached.
 * One call runs at a time; a failure is kept and thrown by `reach`.
 */
export function createPrefixFollower(hashFrom: (hashed: number, target: number) => Promise<number>) {
  let hashed = 0;
  let target = 0;
  let running: Promise<void> | null = null;
  let failure: { error: unknown } | undefined;
  let stopped = false;

  const pump = async () => {
    while (hashed < target && !stopped) hashed = await hashFrom(hashed, target);
  };
  const kick = () => {
    if (running || failure || stopped) return;
    running = pump()
      .catch((error: unknown) => {
        failure = { error };
      })
      .finally(() => {
        running = null;
        if (hashed < target) kick();
      });
  };
  const settled = async () => {
    while (running) await running;
  };

  return {
    /** The prefix [0, end) is written: hash it in the background. */
    advance(end: number): void {
      target = Math.max(target, end);
      kick();
    },
    /** Hashes up to `size` and waits for it; throws the first failure. */
    async reach(size: number): Promise<void> {
      target = Math.max(target, size);
      kick();
      await settled();
      if (failure) throw failure.error;
    },
    /** Hashes no more; resolves once the call running (if any) has returned. */
    async stop(): Promise<void> {
      stopped = true;
      await settled();
    },
  };
}
