import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listTree, sha256, sha256File } from '../helpers/files.js';
import { listingXml } from './listing-xml.js';
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

describe('listed keys no database can store', () => {
  test('a NUL in a listed key: its row is FAILED with the reason (NUL shown as ␀), the run finishes, the other keys sync', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const ok = await f.s3.putObject('ok.txt', 'fine');
    const fake = '"0123456789abcdef0123456789abcdef"';
    const listing = listingXml(f.s3.bucket, [
      { key: 'nul\u0000.txt', etag: fake, size: 5 },
      { key: 'ctl\u0001char.txt', etag: fake, size: 5 },
      { key: 'ok.txt', etag: ok.etag, size: 4 },
    ]);
    proxy.setRule((req) => (req.method === 'GET' && !req.key ? { kind: 'respond', status: 200, body: listing } : undefined));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }) });

    // Before: the row insert failed on the NUL and the run stayed RUNNING with no rows at all.
    expect(result.run).toMatchObject({ status: 'FAILED', objectsTotal: 3, objectsDone: 1, objectsFailed: 2 });
    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    expect(rows.get('nul\u2400.txt')).toMatchObject({ status: 'FAILED', error: 'unsafe key: the key contains a NUL character' });
    expect(rows.get('ctl\u0001char.txt')).toMatchObject({ status: 'FAILED' }); // listed but not at the source
    expect(rows.get('ok.txt')).toMatchObject({ status: 'PROCESSED' });
    expect(await listTree(f.root)).toEqual(['.dss-partial/', 'ok.txt']);

    // The next run finds that row again (not a second insert of the same key), and lists the rest.
    const second = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }) });
    expect(second.run).toMatchObject({ status: 'FAILED', objectsTotal: 3, objectsDone: 1, objectsFailed: 2 });
    expect(second.run.error).not.toMatch(/UNIQUE|duplicate key|recording the listing/);
    const again = await f.rows();
    expect(again.filter((r) => r.key === 'nul\u2400.txt')).toHaveLength(1);
    expect(again.find((r) => r.key === 'nul\u2400.txt')).toMatchObject({ status: 'FAILED', listedRunId: second.runId });
  });
});
