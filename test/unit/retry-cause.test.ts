import { describe, expect, it } from 'vitest';
import { retryCause, TruncatedBodyError } from '../../src/sync/transport/retry.js';

const s3Error = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const netError = (code: string) => Object.assign(new Error(code), { code });

describe('retryCause: the bounded label of dss_sync_retries_total', () => {
  it.each([
    [s3Error('SlowDown', 503), 'throttled'],
    [s3Error('ThrottlingException', 400), 'throttled'],
    [s3Error('TooManyRequestsException', 429), 'throttled'],
    [s3Error('InternalError', 500), 'server_error'],
    [s3Error('BadGateway', 502), 'server_error'],
    [s3Error('RequestTimeout', 400), 'timeout'],
    [netError('ETIMEDOUT'), 'timeout'],
    [netError('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    [netError('ECONNRESET'), 'connection'],
    [netError('ECONNREFUSED'), 'connection'],
    [new TruncatedBodyError('cut'), 'truncated_body'],
    [new Error('something else'), 'other'],
    ['not an error', 'other'],
  ] as const)('%s → %s', (error, cause) => {
    expect(retryCause(error)).toBe(cause);
  });
});
