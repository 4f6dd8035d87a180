/** Attempts per delivery, the first included. */
export const MAX_ATTEMPTS = 5;

/** Delay before attempt `n + 1` after `n` failed ones: base × 2^(n-1), plus up to 10% jitter. */
export function retryDelayMs(attemptsMade: number, baseMs: number): number {
  const delay = baseMs * 2 ** (attemptsMade - 1);
  return Math.round(delay + delay * 0.1 * Math.random());
}

/**
 * Delay before attempt `n + 1`: the schedule's, or the receiver's `Retry-After` when that is
 * later, capped at the schedule's largest step (base × 2^(MAX_ATTEMPTS-2)) so that a delivery still
 * ends within a bounded time whatever a receiver asks for.
 */
export function nextAttemptDelayMs(attemptsMade: number, baseMs: number, askedMs: number | null): number {
  const scheduled = retryDelayMs(attemptsMade, baseMs);
  if (askedMs === null) return scheduled;
  return Math.max(scheduled, Math.min(askedMs, baseMs * 2 ** (MAX_ATTEMPTS - 2)));
}
