import { stat, truncate, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { storeObjects } from '../helpers/s3rver-store.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

const data = (): Array<[string, Buffer]> => [
  ['small/a.txt', seededBytes(1000, 11)],
  ['small/b.txt', seededBytes(3000, 12)],
  ['big/c.bin', seededBytes(5 * CHUNK + 123, 13)],
  ['big/d.bin', seededBytes(3 * CHUNK, 14)],
  ['empty', Buffer.alloc(0)],
  ['marker/', Buffer.alloc(0)],
];

async function fileStates(root: string, keys: string[]) {
  return Promise.all(keys.map(async (key) => {
    const s = await stat(join(root, key));
    return { key, ino: s.ino, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  }));
}

describe('re-running a sync', () => {
  test('a second run makes zero GETs, rewrites nothing and keeps the rows; mtimes are the objects\' LastModified', async () => {
    await using f = await startSyncFixture();
    const objects = data();
    await f.s3.putObjects(objects);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    const keys = objects.map(([k]) => k.replace(/\/$/, ''));
    const before = await fileStates(f.root, keys);
    const rowsBefore = await f.rows();

    for (const [key] of objects.filter(([k]) => !k.endsWith('/'))) {
      const head = await f.s3.client.send(new HeadObjectCommand({ Bucket: f.s3.bucket, Key: key }));
      expect((await stat(join(f.root, key))).mtime.getTime(), key).toBe(head.LastModified!.getTime());
    }

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(f.s3.counts.gets).toBe(0);
    expect(f.s3.counts.heads).toBe(0);
    expect(second.stats.gets).toBe(0);
    expect(second.run).toMatchObject({ objectsTotal: 6, objectsDone: 6, objectsSkipped: 6, objectsFailed: 0 });
    expect(await fileStates(f.root, keys)).toEqual(before);
    const rowsAfter = await f.rows();
    expect(rowsAfter.map((r) => [r.key, r.status, r.lastPosition, r.updatedAt.getTime(), r.runId])).toEqual(
      rowsBefore.map((r) => [r.key, r.status, r.lastPosition, r.updatedAt.getTime(), r.runId]),
    );
  });

  test('a local file deleted or truncated by someone is fetched again, and only that', async () => {
    await using f = await startSyncFixture();
    const objects = data();
    await f.s3.putObjects(objects);
    await f.sync();
    await unlink(join(f.root, 'small/a.txt'));
    await truncate(join(f.root, 'big/c.bin'), CHUNK);
    await unlink(join(f.root, 'empty'));

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(new Set(f.s3.counts.getRanges.map((g) => g.key))).toEqual(new Set(['small/a.txt', 'big/c.bin']));
    // the truncated big file is fetched whole again, chunk by chunk
    expect(f.s3.counts.getBytes).toBe(1000 + 5 * CHUNK + 123);
    for (const [key, body] of objects.filter(([k]) => !k.endsWith('/'))) {
      expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
    }
  });

  test('a crash between the rename and the row commit: the file in place is kept when size and mtime match, else refetched', async () => {
    await using f = await startSyncFixture();
    const big = seededBytes(4 * CHUNK + 1, 21);
    await f.s3.putObjects([['big.bin', big], ['other.bin', seededBytes(3 * CHUNK, 22)]]);
    await f.sync();
    // The state such a crash leaves: last checkpoint == size, no .partial, row not yet PROCESSED.
    await f.orm.em.fork().nativeUpdate(SyncObject, { jobId: f.jobId }, { status: 'PROCESSING' });
    await utimes(join(f.root, 'other.bin'), new Date(0), new Date(0)); // as if the crash came before utimes

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(new Set(f.s3.counts.getRanges.map((g) => g.key))).toEqual(new Set(['other.bin']));
    expect((await f.rows()).map((r) => [r.key, r.status])).toEqual([
      ['big.bin', 'PROCESSED'],
      ['other.bin', 'PROCESSED'],
    ]);
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
  });

  test('an object changed at the source (same size, new content) is downloaded again', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([
      ['doc.txt', 'version one'],
      ['big.bin', seededBytes(3 * CHUNK + 5, 1)],
      ['same.txt', 'unchanged'],
    ]);
    await f.sync();
    await f.s3.deleteObject('doc.txt');
    await f.s3.putObject('doc.txt', 'version two');
    await f.s3.deleteObject('big.bin');
    const big2 = seededBytes(3 * CHUNK + 5, 2);
    await f.s3.putObject('big.bin', big2);

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(new Set(f.s3.counts.getRanges.map((g) => g.key))).toEqual(new Set(['doc.txt', 'big.bin']));
    expect(await sha256File(join(f.root, 'doc.txt'))).toBe(sha256('version two'));
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big2));
    expect((await f.row('big.bin'))!.etag).toBe(`"${(await import('node:crypto')).createHash('md5').update(big2).digest('hex')}"`);
  });

  test('a prefix with more than 1000 keys (1005) is listed page by page and synced fully; nothing outside the prefix', async () => {
    await using f = await startSyncFixture({ prefix: 'many/', concurrency: 8 });
    const objects: Array<[string, string]> = Array.from({ length: 1005 }, (_, i) => [`many/${String(i).padStart(4, '0')}.txt`, `object ${i}`]);
    await storeObjects(f.s3, [...objects, ['other/outside.txt', 'not mine'], ['many-not/x', 'nope']]);
    const first = await f.sync();
    expect(first.status).toBe('SUCCEEDED');
    expect(f.s3.counts.lists).toBeGreaterThanOrEqual(2);
    expect(first.run).toMatchObject({ objectsTotal: 1005, objectsDone: 1005, objectsFailed: 0 });
    const tree = await listTree(f.root);
    expect(tree).toHaveLength(1007); // the folder, the (empty) partial-downloads folder and 1005 files
    expect(tree).toContain('.dss-partial/');
    expect(tree).not.toContain('other/');
    for (const [key, body] of [objects[0]!, objects[999]!, objects[1000]!, objects[1004]!]) {
      expect(await sha256File(join(f.root, key))).toBe(sha256(body));
    }
    const rows = await f.rows();
    expect(rows.every((r) => r.status === 'PROCESSED' && r.lastPosition === r.size)).toBe(true);

    f.s3.resetCounts();
    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(f.s3.counts.gets).toBe(0);
  });
});
