import type { Logger } from './logger.js';

/** While a loop keeps failing, how often its failure is logged again (with the count since the first). */
export const FAILURE_REMINDER_MS = 60_000;

export interface FailureLog {
  /** One attempt of the loop failed: logged if it is the first of a streak, or the last line is a minute old. */
  failed(err: unknown): void;
  /** One attempt succeeded: after a streak of failures, one line says it recovered. */
  succeeded(): void;
}

/**
 * The log of a loop that runs every second or so (scheduler ticks, webhook polls, lease heartbeats).
 * During a database outage each attempt fails the same way: one error line when the streak starts,
 * then one a minute with the number of failures so far, and one info line when it ends, instead of
 * a line with a stack trace per attempt.
 */
export function createFailureLog(logger: Logger, messages: { failed: string; recovered: string }, now = Date.now): FailureLog {
  let streak: { since: number; failures: number; loggedAt: number } | null = null;
  return {
    failed(err) {
      const at = now();
      if (!streak) {
        streak = { since: at, failures: 1, loggedAt: at };
        logger.error({ err }, messages.failed);
        return;
      }
      streak.failures += 1;
      if (at - streak.loggedAt < FAILURE_REMINDER_MS) return;
      streak.loggedAt = at;
      logger.error({ err, failures: streak.failures, failingForMs: at - streak.since }, `${messages.failed} (still failing)`);
    },
    succeeded() {
      if (!streak) return;
      logger.info({ failures: streak.failures, failedForMs: now() - streak.since }, messages.recovered);
      streak = null;
    },
  };
}
