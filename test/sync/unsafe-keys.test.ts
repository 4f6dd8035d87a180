import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { listingXml } from './listing-xml.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe('keys that cannot be stored safely', () => {
  test('traversal, absolute and over-long keys fail with a reason and are never fetched; nothing lands outside the job folder', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const unicodeKey = `ünïcødé/${'é'.repeat(120)}/文件 📦 with spaces.txt`;
    const ok = await f.s3.putObject('ok.txt', 'fine');
    const uni = await f.s3.putObject(unicodeKey, 'long unicode key');
    const backslashKey = 'b/..\\..\\escape3.txt';
    await f.s3.putObject(backslashKey, 'stored by s3rver, refused by us');
    const fake = '"0123456789abcdef0123456789abcdef"';
    const longKey = `dir/${'n'.repeat(256)}.txt`;
    const listing = listingXml(f.s3.bucket, [
      { key: '../escape.txt', etag: fake, size: 5 },
      { key: '/abs.txt', etag: fake, size: 5 },
      { key: 'a/../../escape2.txt', etag: fake, size: 5 },
      { key: backslashKey, etag: fake, size: 31 },
      { key: longKey, etag: fake, size: 5 },
      { key: 'ok.txt', etag: ok.etag, size: 4 },
      { key: unicodeKey, etag: uni.etag, size: 16 },
    ]);
    proxy.setRule((req) => (req.method === 'GET' && !req.key ? { kind: 'respond', status: 200, body: listing } : undefined));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    expect(result.run).toMatchObject({ objectsTotal: 7, objectsFailed: 5, objectsDone: 2 });
    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    const reason = (key: string) => rows.get(key)?.error;
    expect(reason('../escape.txt')).toBe('unsafe key: the key has a ".." path segment');
    expect(reason('a/../../escape2.txt')).toBe('unsafe key: the key has a ".." path segment');
    expect(reason('/abs.txt')).toBe('unsafe key: the key is an absolute path');
    expect(reason(backslashKey)).toBe('unsafe key: the key has a ".." segment between backslashes');
    expect(reason(longKey)).toBe("unsafe key: a path segment is 260 bytes, over the file system's 255-byte name limit");
    for (const key of ['../escape.txt', '/abs.txt', 'a/../../escape2.txt', backslashKey, longKey]) {
      expect(rows.get(key)?.status, key).toBe('FAILED');
    }
    expect(rows.get('ok.txt')?.status).toBe('PROCESSED');
    expect(rows.get(unicodeKey)).toMatchObject({ status: 'PROCESSED', key: unicodeKey });
    expect(await sha256File(join(f.root, unicodeKey))).toBe(sha256('long unicode key'));
    expect(f.s3.counts.getRanges.map((g) => g.key).sort()).toEqual(['ok.txt', unicodeKey].sort());
    expect(f.events.filter((e) => e.kind === 'OBJECT_FAILED')).toHaveLength(5);

    // Only the job folder under the download root, holding only the two good files (and the empty partial-downloads folder).
    expect(await listTree(f.config.downloadRoot)).toEqual(
      [`${f.jobId}/`, `${f.jobId}/.dss-partial/`, `${f.jobId}/ok.txt`, `${f.jobId}/ünïcødé/`, `${f.jobId}/ünïcødé/${'é'.repeat(120)}/`, `${f.jobId}/${unicodeKey}`].sort(),
    );
    expect((await listTree(f.dir)).filter((p) => !p.startsWith('downloads/') && !p.startsWith('db.sqlite'))).toEqual([]);
  });

  test("a key that collides with another key's folder fails with a reason; the other is stored", async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await f.s3.putObjects([
      ['dup', 'a file named dup'],
      ['dup/child.txt', 'a file below dup/'],
    ]);
    const result = await f.sync();
    expect(result.status).toBe('FAILED');
    const rows = await f.rows();
    const failed = rows.filter((r) => r.status === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(/directory|parent folder/);
    expect(rows.filter((r) => r.status === 'PROCESSED')).toHaveLength(1);
  });

  test('keys x and x.partial in one prefix both land byte-identical; a key in the partial-downloads folder is refused', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    const big = seededBytes(5 * CHUNK + 11, 21);
    const other = seededBytes(3 * CHUNK + 7, 22);
    await f.s3.putObjects([
      ['x', big],
      ['x.partial', other],
      ['small', 'small body'],
      ['small.partial', 'another small body'],
      ['.dss-partial/sneaky', 'would be a temporary file'],
    ]);
    const result = await f.sync();

    expect(result.run).toMatchObject({ objectsTotal: 5, objectsDone: 4, objectsFailed: 1 });
    expect(await sha256File(join(f.root, 'x'))).toBe(sha256(big));
    expect(await sha256File(join(f.root, 'x.partial'))).toBe(sha256(other));
    expect(await sha256File(join(f.root, 'small'))).toBe(sha256('small body'));
    expect(await sha256File(join(f.root, 'small.partial'))).toBe(sha256('another small body'));
    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    expect(rows.get('.dss-partial/sneaky')).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/partial downloads/) });
    expect(await listTree(join(f.root, '.dss-partial'))).toEqual([]);
  });
});
