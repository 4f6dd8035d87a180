import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { KiB, startSyncFixture } from './sync-fixture.js';

// With a 1 MiB chunk, objects up to 256 KiB are fetched into memory and verified before their
// single write; larger single-chunk objects are streamed into the .partial file.
const CHUNK_SIZE = 1024 * KiB;
const files = async (root: string) => (await listTree(root)).filter((p) => !p.endsWith('/'));
const data = (): Array<[string, Buffer]> => [
  ['m/tiny.txt', seededBytes(1, 1)],
  ['m/four.bin', seededBytes(4 * KiB, 2)],
  ['m/edge.bin', seededBytes(256 * KiB, 3)],
  ['s/streamed.bin', seededBytes(300 * KiB + 7, 4)],
  ['s/whole-chunk.bin', seededBytes(CHUNK_SIZE, 5)],
];

describe('single-GET objects (in memory up to 256 KiB, streamed above)', () => {
  test('land byte-identical with the object time as mtime, no .partial left, rows PROCESSED', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    const objects = data();
    await f.s3.putObjects(objects);
    const result = await f.sync();

    expect(result.status).toBe('SUCCEEDED');
    expect(result.stats.gets).toBe(objects.length);
    for (const [key, body] of objects) {
      const path = join(f.root, key);
      expect(await sha256File(path), key).toBe(sha256(body));
      const head = await f.s3.client.send(new HeadObjectCommand({ Bucket: f.s3.bucket, Key: key }));
      expect(Math.floor((await stat(path)).mtimeMs / 1000), key).toBe(Math.floor(head.LastModified!.getTime() / 1000));
    }
    expect(await files(f.root)).toEqual(objects.map(([key]) => key).sort());
    for (const row of await f.rows()) expect(row, row.key).toMatchObject({ status: 'PROCESSED', lastPosition: row.size, error: null });
  });

  test('a body cut mid-stream resumes from the last byte received, in memory too', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE, retryCount: 2 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const objects = data();
    await f.s3.putObjects(objects);
    const ranges = new Map<string, Array<string | undefined>>();
    proxy.setRule((req) => {
      if (req.method !== 'GET' || !req.key) return undefined;
      const seen = ranges.get(req.key) ?? [];
      seen.push(req.headers.range);
      ranges.set(req.key, seen);
      return seen.length === 1 && req.key !== 'm/tiny.txt' ? { kind: 'resetMidBody', afterBytes: 1000 } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('SUCCEEDED');
    for (const [key, body] of objects) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
    expect(ranges.get('m/four.bin')).toEqual([undefined, `bytes=1000-${4 * KiB - 1}`]);
  });

  test('a bit flipped in transit fails verification on both paths: FAILED, nothing written', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObjects(data());
    proxy.setRule((req) => (req.method === 'GET' && req.key && req.key !== 'm/tiny.txt' ? { kind: 'corrupt', atByte: 0 } : undefined));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    for (const row of await f.rows()) {
      if (row.key === 'm/tiny.txt') continue;
      expect(row, row.key).toMatchObject({ status: 'FAILED', lastPosition: 0 });
      expect(row.error, row.key).toMatch(/^verification failed: MD5 mismatch/);
    }
    expect(await files(f.root)).toEqual(['m/tiny.txt']);
  });
});
