import { parseHttpDate } from './http-date.js';

/** Answers whose `Retry-After` says when the receiver can take the delivery again (RFC 9110 §10.2.3). */
const STATUSES_WITH_RETRY_AFTER = new Set([429, 503]);

/** `delay-seconds`: digits only; a sign, a fraction or an exponent makes the value invalid. */
const DELAY_SECONDS = /^\d+$/;

/**
 * The wait a 429 or 503 answer asks for, in ms from `nowMs`: `Retry-After: <seconds>` or
 * `Retry-After: <HTTP-date>` (a date already past is no wait). Null for other statuses and for a
 * missing or invalid value, which leave the retry schedule alone.
 */
export function retryAfterMs(status: number, header: string | undefined, nowMs: number): number | null {
  if (!STATUSES_WITH_RETRY_AFTER.has(status) || header === undefined) return null;
  const value = header.trim();
  if (DELAY_SECONDS.test(value)) return Number(value) * 1000;
  const date = parseHttpDate(value, nowMs);
  return date === null ? null : Math.max(0, date - nowMs);
}
