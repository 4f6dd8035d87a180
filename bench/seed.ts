// Writes generated objects straight into s3rver's filesystem-store layout (`<key>._S3rver_object` plus its
// `.md5` and metadata files), which is what a PUT would leave behind, minus the HTTP round trips. Beside
// them, in a folder of their own (crc64Path), each object's CRC-64/NVME (base64), which s3rver does not
// keep; the server child states it, as S3 does, in the scenarios that ask for it (s3-server-child.ts).
import { createHash, randomFillSync } from 'node:crypto';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { mkdir, open, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ObjectSet {
  /** Key prefix inside the bench bucket, ending in `/`. */
  prefix: string;
  count: number;
  size: number;
}

/**
 * The file holding an object's CRC-64/NVME: outside s3rver's folder, which it walks whole on every
 * listing (a file more per object there would slow every listing of the benchmark).
 */
export function crc64Path(serverRoot: string, bucket: string, key: string): string {
  return join(`${serverRoot}.crc64nvme`, bucket, key);
}

/** Fixed whole-second mtime, so every tool sees the same LastModified at any precision. */
const SOURCE_TIME = new Date('2026-01-01T00:00:00Z');
const POOL = randomFillSync(Buffer.alloc(16 * 1024 * 1024));
const BLOCK = 4 * 1024 * 1024;

const SHARDS = 20;

/** The folder of one of the set's 20 shards (object `i` is in shard `i % 20`). */
export function shardPrefix(set: ObjectSet, shard: number): string {
  return `${set.prefix}part-${String(shard).padStart(2, '0')}/`;
}

export function keyOf(set: ObjectSet, index: number): string {
  return `${shardPrefix(set, index % SHARDS)}obj-${String(index).padStart(6, '0')}.bin`;
}

/** Block `n` of object `seed`: a slice of the random pool stamped with (seed, n), so no two blocks are equal. */
function block(seed: number, n: number, length: number): Buffer {
  const start = ((seed * 7919 + n * 104729) * 4096) % (POOL.length - BLOCK);
  const out = Buffer.from(POOL.subarray(start, start + length));
  if (length >= 16) {
    out.writeUInt32LE(seed, 0);
    out.writeUInt32LE(n, 4);
  }
  return out;
}

async function writeObject(root: string, bucket: string, key: string, seed: number, size: number): Promise<void> {
  const bucketDir = join(root, bucket);
  const objectPath = join(bucketDir, `${key}._S3rver_object`);
  await mkdir(dirname(objectPath), { recursive: true });
  const md5 = createHash('md5');
  // The SDK's own implementation, not the engine's: the server's figure is checked independently.
  const crc64 = new Crc64Nvme();
  const handle = await open(objectPath, 'w');
  try {
    for (let offset = 0, n = 0; offset < size; offset += BLOCK, n += 1) {
      const data = block(seed, n, Math.min(BLOCK, size - offset));
      md5.update(data);
      crc64.update(data);
      await handle.write(data, 0, data.length, offset);
    }
  } finally {
    await handle.close();
  }
  await writeFile(`${objectPath}.md5`, md5.digest('hex'));
  const crcPath = crc64Path(root, bucket, key);
  await mkdir(dirname(crcPath), { recursive: true });
  await writeFile(crcPath, Buffer.from(await crc64.digest()).toString('base64'));
  await writeFile(join(bucketDir, `${key}._S3rver_metadata.json`), '{"content-type":"application/octet-stream"}');
  await utimes(objectPath, SOURCE_TIME, SOURCE_TIME);
}

/** Seeds one object set into `<root>/<bucket>/`; 32 small files are written at a time. */
export async function seedObjects(root: string, bucket: string, set: ObjectSet, seedBase: number): Promise<void> {
  const parallel = set.size > BLOCK ? 1 : 32;
  for (let i = 0; i < set.count; i += parallel) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(set.count, i + parallel); j += 1) {
      batch.push(writeObject(root, bucket, keyOf(set, j), seedBase + j, set.size));
    }
    await Promise.all(batch);
  }
}
