export interface WaitOptions {
  /** Give up (the test fails) after this long; default 5 s. */
  timeoutMs?: number;
  /** Named in the failure message. */
  what?: string;
  /** Runs between checks (e.g. publishes a probe event until a subscriber sees one). */
  step?: () => void;
}

/**
 * Polls `check` until it returns a truthy value (bounded), instead of sleeping. A `check` that
 * throws fails the wait at once. The one polling helper of the suite.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: number | WaitOptions = {}, what?: string): Promise<NonNullable<T>> {
  const { timeoutMs = 5000, step, what: named } = typeof options === 'number' ? { timeoutMs: options } : options;
  const label = what ?? named ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    step?.();
    await new Promise((r) => setTimeout(r, 10));
  }
}
