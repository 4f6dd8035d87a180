import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { createPausedJob, triggerJob } from '../live/live-env.js';

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return 'accepted';
};

describe('configuration values refused at start-up', () => {
  it.each(['http://127.0.0.1:99999', 'http://:9000', 'http://[::1'])(
    'AWS_ENDPOINT_URL_S3=%s is not a URL the SDK can use: refused at start-up with a line naming the variable',
    (value) => {
      expect(refusal({ AWS_ENDPOINT_URL_S3: value })).toMatch(/^invalid AWS_ENDPOINT_URL_S3 \(got .*\): must be an http\(s\) URL/);
      expect(refusal({ S3_ENDPOINT: value })).toMatch(/^invalid S3_ENDPOINT /);
    },
  );

  it('an unusable AWS_ENDPOINT_URL_S3 is refused at start, rather than failing every run with "Invalid URL" naming no variable', async () => {
    let app;
    try {
      app = await startTestApp({ env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:99999', S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1', RETRY_COUNT: '0' } });
    } catch (error) {
      expect((error as Error).message).toMatch(/^invalid AWS_ENDPOINT_URL_S3/);
      return;
    }
    await using started = app;
    const jobId = await createPausedJob(started, 'bucket', 'p/');
    const runId = Number(await triggerJob(started, jobId));
    const run = await waitFor(async () => {
      const row = await started.orm.em.fork().findOne(SyncRun, { id: runId });
      return row && row.status !== 'RUNNING' ? row : undefined;
    }, 10_000, 'the run to end');
    // Observed today: the service starts, and every run ends FAILED with "listing failed: TypeError: Invalid URL".
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: expect.stringContaining('AWS_ENDPOINT_URL_S3') });
  });

  it('S3_CHUNK_SIZE too large to count says it is out of range, not "not a whole number of bytes"', () => {
    expect(refusal({ S3_CHUNK_SIZE: '99999999999999999999' })).toMatch(/must be between 64KiB and 5GiB/);
    expect(refusal({ S3_CHUNK_SIZE: '1024 * 1024 * 1024 * 1024 * 1024 * 1024' })).toMatch(/must be between 64KiB and 5GiB/);
  });
});
