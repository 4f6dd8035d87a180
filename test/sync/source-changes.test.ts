import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { S3Connector } from '../../src/sync/transport/s3-connector.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/** The fixture's connector, running `hook(key, n)` before the n-th GET of each key (n from 1). */
function beforeEachGet(f: SyncFixture, hook: (key: string, n: number) => Promise<void> | void): S3Connector {
  const inner = f.connectorVia(f.s3.endpoint);
  const counts = new Map<string, number>();
  return {
    multipartEtagsAreMd5: inner.multipartEtagsAreMd5,
    listPages: (...args) => inner.listPages(...args),
    headChecksums: (...args) => inner.headChecksums(...args),
    headPart: (...args) => inner.headPart(...args),
    head: (...args) => inner.head(...args),
    async getRange(bucket, key, range, signal) {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      await hook(key, n);
      return inner.getRange(bucket, key, range, signal);
    },
    destroy: () => inner.destroy(),
  };
}

/** One GET per chunk, one at a time, so a hook before GET n runs with n - 1 chunks on disk. */
const chunkByChunk = { getSpanBytes: CHUNK, spansPerObject: 1 };

describe('objects deleted or replaced at the source', () => {
  for (const [what, size, replacedBeforeGet] of [
    ['a small object', 1000, 1],
    ['a chunked object, after its first chunk', 4 * CHUNK + 5, 2],
  ] as const) {
    test(`${what} replaced at a store that ignores If-Match: the answer's ETag names the new version, which is fetched`, async () => {
      await using f = await startSyncFixture({ concurrency: 1 });
      const v2 = seededBytes(size + 100, 6);
      await f.s3.putObject('o.bin', seededBytes(size, 5));
      let v2Etag = '';
      // s3rver serves whatever the key holds now, whatever If-Match says.
      const connector = beforeEachGet(f, async (_key, n) => {
        if (n === replacedBeforeGet) v2Etag = (await f.s3.putObject('o.bin', v2)).etag;
      });
      const run = await f.sync({ connector, tuning: chunkByChunk });
      expect(run.status).toBe('SUCCEEDED');
      expect(await f.row('o.bin')).toMatchObject({ status: 'PROCESSED', etag: v2Etag, size: v2.length, error: null });
      expect(await sha256File(join(f.root, 'o.bin'))).toBe(sha256(v2));
    });
  }
});
