import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

/** Close to S3's 1,024-byte limit, multi-byte characters in every segment. */
const LONG_KEY = `${Array.from({ length: 4 }, () => 'ü'.repeat(110)).join('/')}/${'📦'.repeat(30)}.txt`;

describe('a first sync of mixed data', () => {
  test('every object lands byte-identical, rows PROCESSED/SKIPPED with last_position == size', async () => {
    await using f = await startSyncFixture();
    const objects: Array<[string, Buffer]> = [
      ['empty.bin', Buffer.alloc(0)],
      ['one-byte.bin', seededBytes(1, 1)],
      ['exact-chunk.bin', seededBytes(CHUNK, 2)],
      ['chunk-plus-one.bin', seededBytes(CHUNK + 1, 3)],
      ['twenty-chunks.bin', seededBytes(20 * CHUNK - 17, 4)],
      ['nested/deeper/still/file.txt', Buffer.from('nested content')],
      ['unicode/ünï cödé 文件 📦.txt', Buffer.from('unicode and spaces')],
      ['folder-marker/', Buffer.alloc(0)],
      [LONG_KEY, Buffer.from('a key of about 1,000 bytes')],
    ];
    expect(Buffer.byteLength(LONG_KEY)).toBeGreaterThan(1000);
    await f.s3.putObjects(objects);
    const result = await f.sync();
    expect(result.run.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    for (const [key, body] of objects) {
      const path = join(f.root, key);
      if (key.endsWith('/')) {
        expect((await stat(path)).isDirectory()).toBe(true);
        continue;
      }
      expect(await sha256File(path), key).toBe(sha256(body));
    }
    const rows = await f.rows();
    expect(rows).toHaveLength(objects.length);
    for (const row of rows) {
      const body = objects.find(([key]) => key === row.key)![1];
      expect(row.status, row.key).toBe(body.length === 0 ? 'SKIPPED' : 'PROCESSED');
      expect(row.lastPosition, row.key).toBe(body.length);
      expect(row.size).toBe(body.length);
      expect(row.localPath).toBe(join(f.root, row.key.replace(/\/$/, '')));
    }
    expect(result.run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: 9, objectsDone: 9, objectsFailed: 0, objectsSkipped: 2 });
    expect(result.run.bytesDone).toBe(objects.reduce((sum, [, b]) => sum + b.length, 0));
    expect((await listTree(f.root)).filter((p) => p.endsWith('.partial'))).toEqual([]);
    expect(await readFile(join(f.root, 'empty.bin'))).toHaveLength(0);
  });
});
