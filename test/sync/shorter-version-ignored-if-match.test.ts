// A store that ignores If-Match (s3rver, as the README says) serves an object's new version to a GET
// pinned to the listed one. When the new version is shorter but still holds the range's start, the
// answer is a 206 with a shorter Content-Range and the new ETag: README ("Retries") says an answer
// whose ETag is not the listed one restarts the object from byte 0 at its new version. Found by the
// crash fuzzer (test/fuzz/crash-fuzz.ts, seed 1010 on PostgreSQL).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe('an object made shorter at the source between the listing and its first GET (If-Match ignored)', () => {
  test('is fetched again at its new version, not failed on the Content-Range', async () => {
    await using f = await startSyncFixture({ prefix: 'data/' });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObject('data/big.bin', seededBytes(16 * CHUNK, 1));
    const shorter = seededBytes(CHUNK + 1000, 2);
    let replaced: Promise<unknown> | undefined;
    proxy.setRule((req) => {
      if (req.method !== 'GET' || req.key !== 'data/big.bin' || replaced) return undefined;
      // The first GET waits while the object is overwritten with a shorter version.
      replaced = f.s3.putObject('data/big.bin', shorter);
      return { kind: 'latency', ms: 800 };
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }) });
    await replaced;
    expect({ status: result.run.status, error: result.run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect((await readFile(join(f.root, 'data/big.bin'))).equals(shorter)).toBe(true);
  });
});
