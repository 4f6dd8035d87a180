// A chunked object whose first GET fails (before any checkpoint) ends with a FAILED row at
// last_position 0, a row whose partial file a later complete listing does not look for once the
// object is deleted at the source (README, "Objects deleted at the source"): the partial (created at
// full size before the GET) must not outlive the failure. Found by the crash fuzzer
// (test/fuzz/crash-fuzz.ts, seed 1010 on PostgreSQL: there the first GET failed because the object
// had become shorter meanwhile).
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe('a chunked download that failed before its first checkpoint, then the object deleted at the source', () => {
  test('leaves no partial file, at the failure or after the next complete listing', async () => {
    await using f = await startSyncFixture({ prefix: 'data/' });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObjects([
      ['data/big.bin', seededBytes(5 * CHUNK + 7, 1)],
      ['data/keep.txt', 'kept'],
    ]);
    // Not retried: the object fails at its first GET.
    proxy.setRule((req) => (req.method === 'GET' && req.key === 'data/big.bin' ? { kind: 'status', status: 403, code: 'AccessDenied' } : undefined));
    const first = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }) });
    expect(first.run.status).toBe('FAILED');
    expect(await f.row('data/big.bin')).toMatchObject({ status: 'FAILED', lastPosition: 0 });
    const partial = partialPathFor(f.root, 'data/big.bin');
    expect(existsSync(partial), 'partial file of a download failed before its first checkpoint').toBe(false);

    await f.s3.deleteObject('data/big.bin');
    proxy.setRule(undefined);
    const second = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }) });
    expect(second.run.status).toBe('SUCCEEDED');
    expect(existsSync(partial), 'partial file of an object gone from the source, after a complete listing').toBe(false);
  });
});
