export interface RetryPolicy {
  /** Retries after the first attempt. */
  count: number;
  delaySeconds: number;
  backoff: number;
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Decides whether an error is worth another attempt; defaults to isRetriableS3Error. */
  classify?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** For tests: a source of randomness in [0, 1). */
  random?: () => number;
}

/**
 * Runs `fn` until it succeeds, the error is not retriable, the retries are used up or `signal`
 * aborts (cf. rclone lib/pacer). Waits delay × backoff^n with full jitter between attempts.
 * `fn` receives the attempt number (0-based) so it can resume from where the previous one stopped.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, options: RetryOptions = {}): Promise<T> {
  const classify = options.classify ?? isRetriableS3Error;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted || attempt >= policy.count || !classify(error)) throw error;
      const delayMs = retryDelayMs(policy, attempt, random);
      options.onRetry?.(error, attempt + 1, delayMs);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/**
 * The longest wait between two attempts. Without it, RETRY_DELAY 300 and RETRY_BACKOFF 10 planned
 * days-long waits that Node's timers (at most 2^31 ms) cut to 1 ms: a setting meant to be gentle
 * retried at once.
 */
export const MAX_RETRY_WAIT_MS = 15 * 60 * 1000;

/** Full jitter: a uniform pick in [0, min(delay × backoff^attempt, 15 min)]. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(MAX_RETRY_WAIT_MS, policy.delaySeconds * 1000 * policy.backoff ** attempt));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Raised by the transfer code when a response body ends before the bytes it promised. */
export class TruncatedBodyError extends Error {
  override name = 'TruncatedBodyError';
}

const RETRIABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  'TruncatedBodyError',
]);

const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The HTTP status an S3 answer failed with (the SDK's errors and S3HttpError carry it alike); undefined for other errors. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * The one classifier (cf. rclone's shouldRetry): 5xx, 429, SlowDown/throttling, timeouts,
 * connection resets, a body cut mid-stream and a refusal for a since-corrected clock skew are
 * transient; an abort, other 4xx (including 412 PreconditionFailed) and local file errors are not.
 */
export function isRetriableS3Error(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; code?: string; $metadata?: { clockSkewCorrected?: boolean }; $retryable?: unknown };
  if (e.name === 'AbortError') return false;
  // Refused for a skewed clock that the client has since corrected (the SDK's own rule).
  if (e.$metadata?.clockSkewCorrected) return true;
  const status = httpStatusOf(error);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.name && RETRIABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRIABLE_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  // Errors from the local disk (ENOSPC, EACCES, EISDIR…) carry a syscall; never retry those.
  return false;
}

/** Why a call was retried, for metrics: a small fixed set of values (a label with bounded cardinality). */
export type RetryCause = 'throttled' | 'server_error' | 'timeout' | 'connection' | 'truncated_body' | 'other';

export function retryCause(error: unknown): RetryCause {
  if (!error || typeof error !== 'object') return 'other';
  const e = error as { name?: string; code?: string };
  const status = httpStatusOf(error);
  if (status === 429 || status === 503 || /slowdown|throttl|toomanyrequests|limitexceeded/i.test(e.name ?? '')) return 'throttled';
  if (e.name === 'TruncatedBodyError') return 'truncated_body';
  if (/timeout/i.test(e.name ?? '') || /TIMEDOUT|TIMEOUT/.test(e.code ?? '')) return 'timeout';
  if (status !== undefined && status >= 500) return 'server_error';
  if (e.code && RETRIABLE_CODES.has(e.code)) return 'connection';
  return 'other';
}
