import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { listTree, sha256, sha256File } from '../helpers/files.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * Keys of the kinds a bucket holds (any Unicode, spaces, dots, backslashes, deep folders), within what
 * s3rver can store on its own disk (it resolves `.`/`..` itself and keeps names under ~240 bytes).
 */
const segment = fc
  .string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '-', '_', '.', '\\', 'é', '文', '📦', '+', '%', '=', '~', '#', '@'), minLength: 1, maxLength: 12 })
  .filter((s) => s !== '.' && s !== '..' && !s.endsWith('.') && !s.startsWith(' ') && !s.endsWith(' '));
const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

describe('generated S3 keys synced end to end', () => {
  test('each key lands at <job folder>/<key> byte-identical, or fails with a reason; nothing lands elsewhere', async () => {
    const keys = [...new Set(fc.sample(key, { numRuns: 24, seed: 11 }))];
    await using f = await startSyncFixture({ concurrency: 4 });
    const bodies = new Map(keys.map((k, i) => [k, `body ${i} of ${k}`]));
    await f.s3.putObjects([...bodies]);
    await f.sync();

    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    expect([...rows.keys()].sort()).toEqual([...keys].sort());
    for (const k of keys) {
      const row = rows.get(k)!;
      if (row.status === 'PROCESSED') {
        expect(await sha256File(join(f.root, k)), k).toBe(sha256(bodies.get(k)!));
      } else {
        // A key that is a folder of another key (`a` and `a/b`) cannot be both: one fails, with a reason.
        expect(row, k).toMatchObject({ status: 'FAILED', error: expect.any(String) });
      }
    }
    const processed = [...rows.values()].filter((r) => r.status === 'PROCESSED').length;
    expect(processed).toBeGreaterThan(keys.length / 2);
    for (const path of await listTree(f.config.downloadRoot)) {
      expect(path.startsWith(`${f.jobId}/`), path).toBe(true);
      expect(relative(f.root, join(f.config.downloadRoot, path)).split(sep)).not.toContain('..');
    }
  });
});
