import { crc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { expectOutcomes, multipartEtag } from './checksum-outcomes.js';
import { listingXml } from './listing-xml.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

const KiB = 1024;

/**
 * A multipart upload's COMPOSITE checksum (`<base64>-<parts>`) is its algorithm over the parts'
 * checksums. An SSE-KMS multipart object's ETag is no MD5, so without it such an object is checked
 * by its size alone.
 */
describe('COMPOSITE checksums', () => {
  test('SSE-KMS multipart objects are checked by the COMPOSITE checksum S3 keeps, part by part; uneven parts leave the size to decide', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    // Part sizes as the uploader cut them; `uneven` cut its second part shorter than its first.
    const objects: Record<string, { body: Buffer; parts: number[] }> = {
      'whole.bin': { body: seededBytes(50 * KiB, 31), parts: [20 * KiB, 20 * KiB, 10 * KiB] },
      'page-cache.bin': { body: seededBytes(3 * CHUNK + 5, 32), parts: [2 * CHUNK, CHUNK + 5] },
      'worker.bin': { body: seededBytes(5 * CHUNK + 3, 33), parts: [2 * CHUNK, 2 * CHUNK, CHUNK + 3] },
      'bad-page-cache.bin': { body: seededBytes(3 * CHUNK + 7, 34), parts: [2 * CHUNK, CHUNK + 7] },
      'bad-whole.bin': { body: seededBytes(40 * KiB, 35), parts: [30 * KiB, 10 * KiB] },
      'uneven.bin': { body: seededBytes(4 * CHUNK + 9, 36), parts: [2 * CHUNK, CHUNK, CHUNK + 9] },
    };
    await f.s3.putObjects(Object.entries(objects).map(([key, { body }]) => [key, body]));
    // S3's COMPOSITE CRC32: the CRC32 of the parts' CRC32s, big-endian, one after another.
    const crc32Of = (data: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(data));
      return out;
    };
    const composite = (key: string) => {
      const { body, parts } = objects[key]!;
      const source = Buffer.from(body);
      if (key.startsWith('bad-')) source.writeUInt8(source.readUInt8(100) ^ 1, 100);
      let at = 0;
      const partCrcs = parts.map((size) => crc32Of(source.subarray(at, (at += size))));
      return `${crc32Of(Buffer.concat(partCrcs)).toString('base64')}-${parts.length}`;
    };
    const etagOf = (key: string) => multipartEtag(key).replace('-2', `-${objects[key]!.parts.length}`);
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(objects).map(([key, { body }]) => ({ key, etag: etagOf(key), size: body.length, checksumAlgorithm: key.includes('whole') ? undefined : 'CRC32' })),
    );
    const heads: string[] = [];
    const kms = { 'x-amz-server-side-encryption': 'aws:kms' };
    const checksum = (key: string) => ({ 'x-amz-checksum-crc32': composite(key), 'x-amz-checksum-type': 'COMPOSITE' });
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      const { parts } = objects[req.key]!;
      if (req.method === 'HEAD') {
        const partNumber = Number(req.query.get('partNumber') ?? 0);
        heads.push(`${req.key} ${partNumber ? `part ${partNumber}` : 'checksums'}`);
        const headers: Record<string, string> = partNumber
          ? { etag: etagOf(req.key), 'content-length': String(parts[partNumber - 1]), 'x-amz-mp-parts-count': String(parts.length), ...kms }
          : { etag: etagOf(req.key), ...checksum(req.key), ...kms };
        return { kind: 'respond', status: partNumber ? 206 : 200, body: '', headers };
      }
      const whole = req.headers['x-amz-checksum-mode'] === 'ENABLED' && !req.headers.range;
      return { kind: 'addHeaders', headers: { etag: etagOf(req.key), ...kms, ...(whole ? checksum(req.key) : {}) } };
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning: { workerHashMinBytes: 4 * CHUNK } });

    expect(result.status).toBe('FAILED');
    const bodies = Object.fromEntries(Object.entries(objects).map(([key, { body }]) => [key, body]));
    const failedCheck = { 'bad-page-cache.bin': 'CRC32', 'bad-whole.bin': 'CRC32' };
    const rows = await expectOutcomes(f, bodies, ['whole.bin', 'page-cache.bin', 'worker.bin', 'uneven.bin'], failedCheck);
    for (const key of Object.keys(failedCheck)) {
      expect(rows.get(key)?.error, key).toMatch(/^verification failed: CRC32 mismatch: expected [A-Za-z0-9+/]+={0,2}-2, got [A-Za-z0-9+/]+={0,2}-2$/);
    }
    // Each HEAD once per object, though a chunked object's check is chosen again when its first
    // answer says it is encrypted; the other parts' sizes are asked only after a mismatch. The whole
    // GETs' answers stated the checksum, and their listing named none: no checksum HEAD for them.
    expect(heads.sort()).toEqual(
      [
        'bad-page-cache.bin checksums',
        'bad-page-cache.bin part 1',
        'bad-page-cache.bin part 2',
        'bad-whole.bin part 1',
        'bad-whole.bin part 2',
        'page-cache.bin checksums',
        'page-cache.bin part 1',
        'uneven.bin checksums',
        'uneven.bin part 1',
        'uneven.bin part 2',
        'whole.bin part 1',
        'worker.bin checksums',
        'worker.bin part 1',
      ].sort(),
    );
  });
});
