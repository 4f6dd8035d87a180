import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { listingXml } from './listing-xml.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

/**
 * A CRC or XXHASH as S3 states it, by the AWS SDK's JavaScript: not the code under test (hash-wasm).
 * test/unit/checksum.test.ts pins our implementations to the standard check values.
 */
async function sdkBase64(checksum: Crc32c | Crc64Nvme | Xxh64 | Xxh3_64 | Xxh3_128, data: Buffer): Promise<string> {
  checksum.update(data);
  return Buffer.from(await checksum.digest()).toString('base64');
}

const crcBase64 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
};
/** Hash large objects on the worker thread from 4 chunks up, so both hashing paths run here. */
const tuning = { workerHashMinBytes: 4 * CHUNK };

describe('verification before the rename', () => {
  const data = (): Array<[string, Buffer]> => [
    ['small.txt', seededBytes(5000, 1)],
    ['mid.bin', seededBytes(3 * CHUNK + 10, 2)],
    ['big.bin', seededBytes(5 * CHUNK + 10, 3)],
  ];

  test('a bit flipped in transit fails the MD5 check (inline, page-cache and worker paths): FAILED, nothing left on disk', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObjects(data());
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'corrupt', atByte: 100 } : undefined));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning });

    expect(result.status).toBe('FAILED');
    for (const row of await f.rows()) {
      expect(row.status, row.key).toBe('FAILED');
      expect(row.error, row.key).toMatch(/^verification failed: MD5 mismatch: expected [0-9a-f]{32}, got [0-9a-f]{32}$/);
      expect(row.lastPosition, row.key).toBe(0);
    }
    // Nothing at the final paths, no partial file left.
    expect(await listTree(f.root)).toEqual(['.dss-partial/']);
  });

  test('the same data through a clean network verifies on every path', async () => {
    await using f = await startSyncFixture();
    const objects = data();
    await f.s3.putObjects(objects);
    const result = await f.sync({ tuning });
    expect(result.status).toBe('SUCCEEDED');
    for (const [key, body] of objects) expect(await sha256File(join(f.root, key))).toBe(sha256(body));
  });

  test('full-object SHA256/SHA512/MD5/CRC32/CRC32C/CRC64NVME/XXHASH from HEAD are checked when the ETag is not an MD5', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = {
      'sha.bin': seededBytes(4 * CHUNK + 1, 4),
      'crc32.bin': seededBytes(2 * CHUNK + 1, 5),
      'crc32c.txt': seededBytes(777, 6),
      'bad-sha.bin': seededBytes(2 * CHUNK + 3, 7),
      'crc64.bin': seededBytes(4 * CHUNK + 5, 8),
      'sha512.txt': seededBytes(900, 9),
      'bad-crc64.bin': seededBytes(2 * CHUNK + 7, 10),
      'xxh3.bin': seededBytes(4 * CHUNK + 9, 11),
      'xxh64.txt': seededBytes(1234, 12),
      'xxh128.bin': seededBytes(2 * CHUNK + 11, 13),
      'md5.bin': seededBytes(CHUNK + 13, 14),
      'bad-xxh3.bin': seededBytes(4 * CHUNK + 15, 15),
      'bad-md5.txt': seededBytes(300, 16),
    };
    await f.s3.putObjects(Object.entries(bodies));
    const checksums: Record<string, [string, string]> = {
      'sha.bin': ['SHA256', createHash('sha256').update(bodies['sha.bin']!).digest('base64')],
      'crc32.bin': ['CRC32', crcBase64(crc32(bodies['crc32.bin']!))],
      'crc32c.txt': ['CRC32C', await sdkBase64(new Crc32c(), bodies['crc32c.txt']!)],
      'bad-sha.bin': ['SHA256', createHash('sha256').update('something else').digest('base64')],
      'crc64.bin': ['CRC64NVME', await sdkBase64(new Crc64Nvme(), bodies['crc64.bin']!)],
      'sha512.txt': ['SHA512', createHash('sha512').update(bodies['sha512.txt']!).digest('base64')],
      'bad-crc64.bin': ['CRC64NVME', await sdkBase64(new Crc64Nvme(), Buffer.from('something else'))],
      'xxh3.bin': ['XXHASH3', await sdkBase64(new Xxh3_64(), bodies['xxh3.bin']!)],
      'xxh64.txt': ['XXHASH64', await sdkBase64(new Xxh64(), bodies['xxh64.txt']!)],
      'xxh128.bin': ['XXHASH128', await sdkBase64(new Xxh3_128(), bodies['xxh128.bin']!)],
      'md5.bin': ['MD5', createHash('md5').update(bodies['md5.bin']!).digest('base64')],
      'bad-xxh3.bin': ['XXHASH3', await sdkBase64(new Xxh3_64(), Buffer.from('something else'))],
      'bad-md5.txt': ['MD5', createHash('md5').update('something else').digest('base64')],
    };
    const multipartEtag = (key: string) => `"${createHash('md5').update(key).digest('hex')}-2"`;
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(bodies).map(([key, body]) => ({ key, etag: multipartEtag(key), size: body.length, checksumAlgorithm: checksums[key]![0] })),
    );
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      // A GET answers the ETag its listing named, as a store that computed it does.
      if (req.method === 'GET') return { kind: 'addHeaders', headers: { etag: multipartEtag(req.key) } };
      if (req.method === 'HEAD') {
        const [algorithm, value] = checksums[req.key]!;
        return {
          kind: 'respond',
          status: 200,
          body: '',
          headers: { etag: multipartEtag(req.key), [`x-amz-checksum-${algorithm.toLowerCase()}`]: value, 'x-amz-checksum-type': 'FULL_OBJECT' },
        };
      }
      return undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning });

    expect(result.status).toBe('FAILED');
    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    for (const key of ['sha.bin', 'crc32.bin', 'crc32c.txt', 'crc64.bin', 'sha512.txt', 'xxh3.bin', 'xxh64.txt', 'xxh128.bin', 'md5.bin']) {
      expect(rows.get(key)?.status, key).toBe('PROCESSED');
      expect(await sha256File(join(f.root, key))).toBe(sha256(bodies[key]!));
    }
    for (const [key, algorithm] of [
      ['bad-sha.bin', 'SHA256'],
      ['bad-crc64.bin', 'CRC64NVME'],
      ['bad-xxh3.bin', 'XXHASH3'],
      ['bad-md5.txt', 'MD5'],
    ] as const) {
      expect(rows.get(key), key).toMatchObject({ status: 'FAILED', lastPosition: 0 });
      expect(rows.get(key)?.error).toMatch(new RegExp(`^verification failed: ${algorithm} mismatch: expected `));
      expect(existsSync(join(f.root, key))).toBe(false);
      expect(existsSync(partialPathFor(f.root, key))).toBe(false);
    }
    expect(f.s3.counts.heads).toBe(0); // answered by the proxy
  });
  test('a multipart ETag without checksums is checked as the MD5 of its parts\' MD5s; uneven parts leave the size to decide', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const md5 = (data: Buffer) => createHash('md5').update(data).digest();
    /** The ETag S3 gives an upload of `data` in parts of these sizes. */
    const etagOf = (data: Buffer, partSizes: number[]) => {
      const digests: Buffer[] = [];
      let at = 0;
      for (const size of partSizes) digests.push(md5(data.subarray(at, (at += size))));
      return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${partSizes.length}"`;
    };
    const objects: Record<string, { body: Buffer; parts: number[]; etagFrom?: Buffer }> = {
      'mp-worker.bin': { body: seededBytes(5 * CHUNK + 100, 21), parts: [2 * CHUNK, 2 * CHUNK, CHUNK + 100] },
      'mp-page.bin': { body: seededBytes(3 * CHUNK + 7, 22), parts: [CHUNK, CHUNK, CHUNK, 7] },
      'mp-small.txt': { body: seededBytes(200_000, 23), parts: [70_000, 70_000, 60_000] },
      'mp-uneven.bin': { body: seededBytes(3 * CHUNK, 24), parts: [CHUNK, CHUNK / 2, CHUNK + CHUNK / 2] },
      'mp-bad.bin': { body: seededBytes(3 * CHUNK + 5, 25), parts: [CHUNK, CHUNK, CHUNK, 5], etagFrom: seededBytes(3 * CHUNK + 5, 26) },
      'mp-bad-small.txt': { body: seededBytes(150_000, 27), parts: [60_000, 60_000, 30_000], etagFrom: seededBytes(150_000, 28) },
      // A store that refuses partNumber: the size decides, the object is not failed for it.
      'mp-refused.bin': { body: seededBytes(2 * CHUNK, 29), parts: [CHUNK, CHUNK], etagFrom: seededBytes(2 * CHUNK, 30) },
    };
    const etags = new Map(Object.entries(objects).map(([key, o]) => [key, etagOf(o.etagFrom ?? o.body, o.parts)]));
    await f.s3.putObjects(Object.entries(objects).map(([key, o]) => [key, o.body]));
    const listing = listingXml(f.s3.bucket, Object.entries(objects).map(([key, o]) => ({ key, etag: etags.get(key)!, size: o.body.length })));
    const partHeads: string[] = [];
    proxy.setRule((req) => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      if (req.method === 'GET') return { kind: 'addHeaders', headers: { etag: etags.get(req.key)! } };
      if (req.method !== 'HEAD') return undefined;
      if (req.key === 'mp-refused.bin') return { kind: 'status', status: 400, code: 'InvalidArgument' };
      const partNumber = Number(req.query.get('partNumber'));
      const { parts } = objects[req.key]!;
      partHeads.push(`${req.key}#${partNumber}`);
      const headers = { etag: etags.get(req.key)!, 'content-length': String(parts[partNumber - 1]), 'x-amz-mp-parts-count': String(parts.length) };
      return { kind: 'respond', status: 206, body: '', headers };
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning });

    expect(result.status).toBe('FAILED');
    const rows = new Map((await f.rows()).map((r) => [r.key, r]));
    for (const key of ['mp-worker.bin', 'mp-page.bin', 'mp-small.txt', 'mp-uneven.bin', 'mp-refused.bin']) {
      expect(rows.get(key)?.status, key).toBe('PROCESSED');
      expect(await sha256File(join(f.root, key))).toBe(sha256(objects[key]!.body));
    }
    for (const key of ['mp-bad.bin', 'mp-bad-small.txt']) {
      expect(rows.get(key), key).toMatchObject({ status: 'FAILED', lastPosition: 0 });
      expect(rows.get(key)?.error).toBe(`verification failed: MD5 mismatch: expected ${etags.get(key)!.replaceAll('"', '')}, got ${etagOf(objects[key]!.body, objects[key]!.parts).replaceAll('"', '')}`);
      expect(existsSync(join(f.root, key))).toBe(false);
      expect(existsSync(partialPathFor(f.root, key))).toBe(false);
    }
    // Part 1 of each; then, for a mismatch only, the other parts until one is not the size assumed.
    const headsOf = (key: string) => partHeads.filter((h) => h.startsWith(`${key}#`)).sort();
    for (const key of ['mp-worker.bin', 'mp-page.bin', 'mp-small.txt']) expect(headsOf(key), key).toEqual([`${key}#1`]);
    expect(headsOf('mp-uneven.bin')).toEqual(['mp-uneven.bin#1', 'mp-uneven.bin#2']);
    expect(headsOf('mp-bad-small.txt')).toEqual(['mp-bad-small.txt#1', 'mp-bad-small.txt#2', 'mp-bad-small.txt#3']);
    expect(new Set(headsOf('mp-bad.bin'))).toEqual(new Set(['mp-bad.bin#1', 'mp-bad.bin#2', 'mp-bad.bin#3', 'mp-bad.bin#4']));

    // S3_VERIFY_MULTIPART_ETAG=false (a store whose multipart ETags are computed otherwise): size only, no HEAD.
    partHeads.length = 0;
    const unchecked = { ...f.connectorVia(proxy.endpoint), multipartEtagsAreMd5: false };
    const again = await f.sync({ connector: unchecked, tuning });
    expect(again.status).toBe('SUCCEEDED');
    for (const key of ['mp-bad.bin', 'mp-bad-small.txt']) expect((await f.row(key))?.status, key).toBe('PROCESSED');
    expect(partHeads).toEqual([]);
  });
});

describe('a ranged GET answered with other bytes than asked for', () => {
  // ASCII, so the proxy's text answers carry these very bytes; 17 does not divide a chunk, so a shifted range differs.
  const body = Buffer.from('0123456789abcdefg'.repeat(Math.ceil((4 * CHUNK) / 17)).slice(0, 4 * CHUNK));
  const ranged = { getSpanBytes: CHUNK, spansPerObject: 1 };
  const asked = (req: { headers: Record<string, string | string[] | undefined> }) => /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));

  test.each([
    ['206 with the range one byte further on', (start: number, end: number): Fault => ({
      kind: 'respond',
      status: 206,
      contentType: 'application/octet-stream',
      body: body.subarray(start + 1, end + 2).toString('latin1'),
      headers: { 'content-range': `bytes ${start + 1}-${end + 1}/${body.length}`, etag: '' },
    }), /answered bytes=0-65535 with Content-Range "bytes 1-65536\/262144"/],
    ['200 with the whole object (ranges ignored)', (): Fault => ({ kind: 'respond', status: 200, contentType: 'application/octet-stream', body: body.toString('latin1') }), /answered bytes=0-65535 with HTTP 200, not the range/],
  ])('%s: the object fails saying so, nothing is written in its place', async (_what, answer, reason) => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObject('x.bin', body);
    proxy.setRule((req) => {
      const range = req.method === 'GET' && req.key === 'x.bin' ? asked(req) : null;
      return range ? answer(Number(range[1]), Number(range[2])) : undefined;
    });
    const run = await f.sync({ connector: f.connectorVia(proxy.endpoint, { retryCount: 0 }), tuning: ranged });
    expect(run.status).toBe('FAILED');
    expect((await f.row('x.bin'))?.error).toMatch(reason);
    expect(existsSync(join(f.root, 'x.bin'))).toBe(false);
  });
});

describe('spans of a chunked object run ahead of its checkpoint by the spans in flight at most', () => {
  test('with the first span slow, no GET starts past the window (what a crash would fetch again), and the bytes are whole', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const body = seededBytes(16 * CHUNK, 5);
    await f.s3.putObject('ahead.bin', body);
    const starts: number[] = [];
    proxy.setRule((req) => {
      const range = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ''));
      if (req.method !== 'GET' || req.key !== 'ahead.bin' || !range) return undefined;
      starts.push(Number(range[1]));
      // The first span at 16 KiB/s (4 s for its 64 KiB), the others at full speed.
      return range[1] === '0' ? { kind: 'throttle', ms: 0, bytesPerSecond: 16 * 1024 } : undefined;
    });
    // Two spans of one chunk in flight: a window of two chunks ahead of the checkpoint.
    const run = f.sync({ connector: f.connectorVia(proxy.endpoint), tuning: { getSpanBytes: CHUNK, spansPerObject: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(Math.max(...starts), `GETs started while the first span was still coming: ${starts.join(', ')}`).toBeLessThanOrEqual(2 * CHUNK);
    expect((await run).status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'ahead.bin'))).toBe(sha256(body));
  });
});
