import { describe, expect, test } from 'vitest';
import { isRetriableS3Error, MAX_RETRY_WAIT_MS, retryDelayMs, TruncatedBodyError, withRetry } from '../../src/sync/transport/retry.js';

const s3Error = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });
const sysError = (code: string) => Object.assign(new Error(code), { code });

describe('isRetriableS3Error', () => {
  test.each([
    ['500 InternalError', s3Error('InternalError', 500), true],
    ['503 SlowDown', s3Error('SlowDown', 503), true],
    ['503 with an unknown name', s3Error('Unknown', 503), true],
    ['429', s3Error('TooManyRequests', 429), true],
    ['throttling without a status', s3Error('ThrottlingException'), true],
    ['RequestTimeout (400)', s3Error('RequestTimeout', 400), true],
    ['SDK TimeoutError', s3Error('TimeoutError'), true],
    ['ECONNRESET', sysError('ECONNRESET'), true],
    ['EPIPE', sysError('EPIPE'), true],
    ['ETIMEDOUT', sysError('ETIMEDOUT'), true],
    ['premature close', sysError('ERR_STREAM_PREMATURE_CLOSE'), true],
    ['body cut mid-stream', new TruncatedBodyError('short'), true],
    ['403 AccessDenied', s3Error('AccessDenied', 403), false],
    ['404 NoSuchKey', s3Error('NoSuchKey', 404), false],
    ['412 PreconditionFailed', s3Error('PreconditionFailed', 412), false],
    ['AbortError', s3Error('AbortError'), false],
    ['ENOSPC (local disk)', sysError('ENOSPC'), false],
    ['EISDIR (local disk)', sysError('EISDIR'), false],
    ['a plain Error', new Error('boom'), false],
    ['not an error', 'text', false],
  ])('%s → %s', (_label, error, expected) => {
    expect(isRetriableS3Error(error)).toBe(expected);
  });
});

describe('retryDelayMs (full jitter)', () => {
  const policy = { count: 5, delaySeconds: 1, backoff: 2 };
  test.each([
    [0, 1, 1000],
    [1, 1, 2000],
    [3, 1, 8000],
    [3, 0.5, 4000],
    [3, 0, 0],
  ])('attempt %i with random %f → %i ms', (attempt, random, expected) => {
    expect(retryDelayMs(policy, attempt, () => random)).toBe(expected);
  });

  test('waits at most 15 minutes, whatever RETRY_DELAY and RETRY_BACKOFF plan (Node cuts a timer over 2^31 ms to 1 ms)', () => {
    const gentle = { count: 8, delaySeconds: 300, backoff: 10 };
    expect(retryDelayMs(gentle, 6, () => 1)).toBe(MAX_RETRY_WAIT_MS);
    expect(retryDelayMs(gentle, 6, () => 0.5)).toBe(MAX_RETRY_WAIT_MS / 2);
    expect(MAX_RETRY_WAIT_MS).toBe(900_000);
  });
});

describe('withRetry', () => {
  const fast = { count: 3, delaySeconds: 0, backoff: 2 };

  test('retries transient errors and passes the attempt number', async () => {
    const attempts: number[] = [];
    const result = await withRetry(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 2) throw s3Error('SlowDown', 503);
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(attempts).toEqual([0, 1, 2]);
  });

  test('gives up after count retries with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls += 1;
        throw s3Error('InternalError', 500);
      }, fast),
    ).rejects.toThrow('InternalError');
    expect(calls).toBe(4);
  });

  test('does not retry a permanent error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls += 1;
        throw s3Error('AccessDenied', 403);
      }, fast),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });

  test('stops retrying once the signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          controller.abort();
          throw s3Error('SlowDown', 503);
        },
        { count: 5, delaySeconds: 60, backoff: 2 },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('SlowDown');
    expect(calls).toBe(1);
  });

  test('an abort during the backoff wait ends it early without another attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = withRetry(
      async () => {
        calls += 1;
        throw s3Error('SlowDown', 503);
      },
      { count: 5, delaySeconds: 3600, backoff: 2 },
      { signal: controller.signal, random: () => 1, onRetry: () => queueMicrotask(() => controller.abort()) },
    );
    await expect(pending).rejects.toThrow('SlowDown');
    expect(calls).toBe(1);
  });
});
