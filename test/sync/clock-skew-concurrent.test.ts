import { describe, expect, test } from 'vitest';
import { readAll } from '../../src/sync/transport/byte-source.js';
import { withRetry } from '../../src/sync/transport/retry.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION } from '../helpers/s3-server.js';
import { startSdkVerifier } from '../helpers/sdk-sig-verifier.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * Several GETs in flight when S3 refuses them for a skewed clock (RequestTimeTooSkewed): the first
 * answer teaches the client the offset; every one of them was signed with the wrong date and is
 * worth one more attempt, not only the one whose answer arrived first.
 */
describe('clock skew with requests in flight', () => {
  test('every concurrent GET refused for the skew is retried, re-signed with the corrected date', async () => {
    await using f = await startSyncFixture();
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}.txt`);
    const etags: string[] = [];
    for (const key of keys) etags.push((await f.s3.putObject(key, `body ${key}`)).etag);
    await using v = await startSdkVerifier(f.s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION, { clockSkewMs: 2 * 3600_000 });
    const connector = f.connectorVia(v.endpoint);
    const results = await Promise.allSettled(
      keys.map((key, i) =>
        withRetry(async () => (await readAll((await connector.getRange(f.s3.bucket, key, { etag: etags[i]!, start: 0 })).body)).toString(), {
          count: 3,
          delaySeconds: 0,
          backoff: 1,
        }),
      ),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${keys[i]}: ${(r.reason as Error).name}`] : []));
    expect(failed).toEqual([]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual(keys.map((k) => `body ${k}`));
  });

  test('a sync whose clock steps 2 hours while its GETs are in flight: every object lands, the run succeeds', async () => {
    await using f = await startSyncFixture({ concurrency: 8 });
    const keys = Array.from({ length: 40 }, (_, i) => `d/k${String(i).padStart(2, '0')}.txt`);
    for (const key of keys) await f.s3.putObject(key, `body ${key}`);
    let stepped = false;
    // The host's clock is stepped (NTP, a VM resumed) just as the first object GET goes out: to S3,
    // every request signed before the client learns the offset is dated 2 hours off.
    const v = await startSdkVerifier(f.s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION, {
      clockSkewMs: 0,
      onRequest: (method, url) => {
        if (!stepped && method === 'GET' && !url.includes('list-type')) {
          stepped = true;
          v.setClockSkew(2 * 3600_000);
        }
      },
    });
    try {
      const result = await f.sync({ connector: f.connectorVia(v.endpoint) });
      const failed = (await f.rows()).filter((r) => r.status !== 'PROCESSED').map((r) => `${r.key}: ${r.error}`);
      expect(failed).toEqual([]);
      expect(result.status, result.run.error ?? '').toBe('SUCCEEDED');
    } finally {
      await v.stop();
    }
  });

  test('a rerun listed in key ranges when the clock is off: the ranges are not given up', async () => {
    await using f = await startSyncFixture({ concurrency: 8 });
    const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}.txt`);
    for (const key of keys) await f.s3.putObject(key, `body ${key}`);
    await using v = await startSdkVerifier(f.s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION, { clockSkewMs: 0 });
    const tuning = { listRangeMinKeys: 5 };
    const first = await f.sync({ connector: f.connectorVia(v.endpoint), tuning });
    expect(first.status).toBe('SUCCEEDED');
    v.setClockSkew(-2 * 3600_000);
    const second = await f.sync({ connector: f.connectorVia(v.endpoint), tuning });
    console.log(second.status, JSON.stringify(second.stats), second.run.error);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.stats).toMatchObject({ listRanges: 8, listRangesGivenUp: false });
  });

  test('concurrent HEADs (the SDK) refused for the skew are retried too', async () => {
    await using f = await startSyncFixture();
    const keys = Array.from({ length: 8 }, (_, i) => `h${i}.txt`);
    const etags: string[] = [];
    for (const key of keys) etags.push((await f.s3.putObject(key, `body ${key}`)).etag);
    await using v = await startSdkVerifier(f.s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION, { clockSkewMs: -2 * 3600_000 });
    const connector = f.connectorVia(v.endpoint);
    const results = await Promise.allSettled(keys.map((key, i) => connector.headChecksums(f.s3.bucket, key, etags[i]!)));
    expect(results.flatMap((r, i) => (r.status === 'rejected' ? [`${keys[i]}: ${(r.reason as Error).name}`] : []))).toEqual([]);
  });
});
