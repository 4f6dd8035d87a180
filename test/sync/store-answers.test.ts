import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { listingXml } from './listing-xml.js';
import { connectorWithGetHook } from './get-hook.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

/** One GET per chunk, one at a time. */
const chunkByChunk = { getSpanBytes: CHUNK, spansPerObject: 1 };
const md5Etag = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

describe('a store answering unlike S3 during a run', () => {
  test('a listing that repeats the same continuation token forever ends the run FAILED instead of listing forever', async () => {
    await using f = await startSyncFixture({ retryCount: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const body = Buffer.from('aaa');
    await f.s3.putObjects([['a.txt', body]]);
    // Every listing request (the first and each continuation) gets the same truncated page naming the same token.
    const page = listingXml(f.s3.bucket, [{ key: 'a.txt', etag: md5Etag(body), size: 3 }]).replace(
      '<IsTruncated>false</IsTruncated>',
      '<IsTruncated>true</IsTruncated><NextContinuationToken>SAME-TOKEN</NextContinuationToken>',
    );
    let lists = 0;
    proxy.setRule((req) => {
      if (req.method !== 'GET' || req.key !== '') return undefined;
      lists += 1;
      return { kind: 'respond', status: 200, body: page };
    });
    // A guard for the test itself: without it the run never ends.
    const guard = new AbortController();
    const timer = setTimeout(() => guard.abort(), 5_000);
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), signal: guard.signal });
    clearTimeout(timer);

    expect(guard.signal.aborted, `still listing after 5 s (${lists} listing requests)`).toBe(false);
    expect(result.status).toBe('FAILED');
    expect(result.run.error).toMatch(/^listing failed: .*continuation token/);
  }, 20_000);

  test('an object replaced by a smaller version mid-download (412): no progress event says more bytes than the object has', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const replacement = seededBytes(CHUNK + CHUNK / 2, 7);
    await f.s3.putObjects([['big.bin', seededBytes(6 * CHUNK, 2)]]);
    // As S3 answers: once the object is replaced, a GET pinned to the old ETag is refused with 412.
    let replaced = false;
    proxy.setRule((req) =>
      replaced && req.method === 'GET' && req.key === 'big.bin' && req.headers['if-match'] !== md5Etag(replacement)
        ? { kind: 'status', status: 412, code: 'PreconditionFailed' }
        : undefined,
    );
    const connector = connectorWithGetHook(f, async (key, n) => {
      if (key === 'big.bin' && n === 5) {
        await f.s3.putObject('big.bin', replacement);
        replaced = true;
      }
    }, proxy.endpoint);
    const result = await f.sync({ connector, tuning: chunkByChunk });

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(replacement));
    const done = f.events.find((e) => e.kind === 'OBJECT_DONE' && e.objectKey === 'big.bin');
    expect(done?.objectSize).toBe(replacement.length);
    for (const e of f.events.filter((e) => e.objectKey === 'big.bin')) {
      expect(e.bytesTransferred, `${e.kind} ${e.bytesTransferred}/${e.objectSize}`).toBeLessThanOrEqual(e.objectSize!);
    }
  });

  test('a store that ignores If-Match: an object shrunk below the next range mid-download restarts at its new version (not FAILED 416)', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    const replacement = seededBytes(CHUNK + CHUNK / 2, 7);
    await f.s3.putObjects([['big.bin', seededBytes(6 * CHUNK, 2)]]);
    // s3rver ignores If-Match: the 5th GET (bytes 262144-327679) asks past the new version's end.
    const connector = connectorWithGetHook(f, async (key, n) => {
      if (key === 'big.bin' && n === 5) await f.s3.putObject('big.bin', replacement);
    });
    const result = await f.sync({ connector, tuning: chunkByChunk });

    expect(result.run.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(replacement));
  });
});
