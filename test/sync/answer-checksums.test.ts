import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { describe, expect, test } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { listingXml } from './listing-xml.js';
import { expectOutcomes, multipartEtag } from './checksum-outcomes.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

const KiB = 1024;
/** Objects up to 256 KiB are fetched into memory; from there up to a chunk, streamed into the .partial file. */
const CHUNK_SIZE = 1024 * KiB;

async function crc64(data: Buffer): Promise<string> {
  const checksum = new Crc64Nvme();
  checksum.update(data);
  return Buffer.from(await checksum.digest()).toString('base64');
}

const sha256Base64 = (data: Buffer | string) => createHash('sha256').update(data).digest('base64');

/**
 * A whole GET asks for the object's checksums (x-amz-checksum-mode: ENABLED), and S3 states them
 * with its headers: a small object is then checked against them with no HEAD, and an SSE-KMS
 * object, whose ETag is not an MD5, is checked by its checksum instead of by its size alone.
 */
describe("checksums stated by a whole GET's answer", () => {
  test("multipart and SSE-KMS objects, in memory and streamed: verified against the GET's checksum without a HEAD", async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = {
      'multipart-small.bin': seededBytes(100 * KiB, 1),
      'multipart-streamed.bin': seededBytes(600 * KiB, 2),
      'kms-small.txt': seededBytes(5000, 3),
      'kms-streamed.bin': seededBytes(700 * KiB, 4),
      'bad-multipart-small.bin': seededBytes(90 * KiB, 5),
      'bad-kms-small.txt': seededBytes(4000, 6),
      'bad-kms-streamed.bin': seededBytes(500 * KiB, 7),
      'kms-unchecked.txt': seededBytes(3000, 8),
    };
    await f.s3.putObjects(Object.entries(bodies));
    const kms = { 'x-amz-server-side-encryption': 'aws:kms' };
    const stated: Record<string, Record<string, string>> = {
      'multipart-small.bin': { 'x-amz-checksum-crc64nvme': await crc64(bodies['multipart-small.bin']!), 'x-amz-checksum-type': 'FULL_OBJECT' },
      'multipart-streamed.bin': { 'x-amz-checksum-crc64nvme': await crc64(bodies['multipart-streamed.bin']!) },
      'kms-small.txt': { ...kms, 'x-amz-checksum-sha256': sha256Base64(bodies['kms-small.txt']!) },
      'kms-streamed.bin': { ...kms, 'x-amz-checksum-crc64nvme': await crc64(bodies['kms-streamed.bin']!), 'x-amz-checksum-type': 'FULL_OBJECT' },
      'bad-multipart-small.bin': { 'x-amz-checksum-crc64nvme': await crc64(Buffer.from('something else')) },
      'bad-kms-small.txt': { ...kms, 'x-amz-checksum-sha256': sha256Base64('something else') },
      'bad-kms-streamed.bin': { ...kms, 'x-amz-checksum-sha256': sha256Base64('something else') },
      // Encrypted, and no checksum kept: the size decides, as before.
      'kms-unchecked.txt': kms,
    };
    const isMultipart = (key: string) => key.includes('multipart');
    // The listing gives the multipart objects an ETag of that form (s3rver's are single-part MD5s).
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(bodies).map(([key, body]) => ({
        key,
        size: body.length,
        etag: isMultipart(key) ? multipartEtag(key) : `"${createHash('md5').update(body).digest('hex')}"`,
        checksumAlgorithm: isMultipart(key) ? 'CRC64NVME' : undefined,
      })),
    );
    const checksumModes: Array<[string, string | undefined]> = [];
    let heads = 0;
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      if (req.method === 'HEAD') heads += 1;
      if (req.method !== 'GET') return undefined;
      checksumModes.push([req.key, req.headers['x-amz-checksum-mode'] as string | undefined]);
      return { kind: 'addHeaders', headers: { ...stated[req.key], ...(isMultipart(req.key) ? { etag: multipartEtag(req.key) } : {}) } };
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    const failedCheck = { 'bad-multipart-small.bin': 'CRC64NVME', 'bad-kms-small.txt': 'SHA256', 'bad-kms-streamed.bin': 'SHA256' };
    const synced = ['multipart-small.bin', 'multipart-streamed.bin', 'kms-small.txt', 'kms-streamed.bin', 'kms-unchecked.txt'];
    const rows = await expectOutcomes(f, bodies, synced, failedCheck);
    for (const key of Object.keys(failedCheck)) {
      expect(rows.get(key), key).toMatchObject({ status: 'FAILED', lastPosition: 0 });
      expect(existsSync(partialPathFor(f.root, key)), key).toBe(false);
    }
    // The listing's CRC64NVME needed no HEAD: the GET stated it.
    expect(heads).toBe(0);
    expect(checksumModes.length).toBe(Object.keys(bodies).length);
    expect(checksumModes.filter(([, mode]) => mode !== 'ENABLED')).toEqual([]);
  });

  test('a COMPOSITE checksum in the answer is not used: the HEAD is asked, as without one', async () => {
    await using f = await startSyncFixture({ chunkSize: CHUNK_SIZE });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const body = seededBytes(50 * KiB, 9);
    await f.s3.putObjects([['composite.bin', body]]);
    const listing = listingXml(f.s3.bucket, [{ key: 'composite.bin', etag: multipartEtag('composite.bin'), size: body.length, checksumAlgorithm: 'CRC64NVME' }]);
    const composite = { 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=-2', 'x-amz-checksum-type': 'COMPOSITE', etag: multipartEtag('composite.bin') };
    let heads = 0;
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      if (req.method === 'HEAD') {
        heads += 1;
        // The full-object checksum S3 keeps, wrong here: the run must have used it to fail.
        const headers = { etag: multipartEtag('composite.bin'), 'x-amz-checksum-sha256': sha256Base64('something else'), 'x-amz-checksum-type': 'FULL_OBJECT' };
        return { kind: 'respond', status: 200, body: '', headers };
      }
      return req.method === 'GET' ? { kind: 'addHeaders', headers: composite } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    const [row] = await f.rows();
    expect(row?.error).toMatch(/^verification failed: SHA256 mismatch: expected /);
    expect(heads).toBe(1);
  });

  test('an SSE-KMS object fetched by ranged GETs: checked by the checksum S3 keeps (a HEAD) on both hashing paths, else by size', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = {
      'kms-worker.bin': seededBytes(4 * CHUNK + 3, 11),
      'kms-page-cache.bin': seededBytes(2 * CHUNK + 5, 12),
      'bad-kms-worker.bin': seededBytes(4 * CHUNK + 7, 13),
      'bad-kms-page-cache.bin': seededBytes(2 * CHUNK + 9, 14),
      'kms-unchecked.bin': seededBytes(3 * CHUNK + 1, 15),
      'plain.bin': seededBytes(2 * CHUNK + 11, 16),
    };
    await f.s3.putObjects(Object.entries(bodies));
    const kept: Record<string, string> = {
      'kms-worker.bin': await crc64(bodies['kms-worker.bin']!),
      'kms-page-cache.bin': await crc64(bodies['kms-page-cache.bin']!),
      'bad-kms-worker.bin': await crc64(Buffer.from('something else')),
      'bad-kms-page-cache.bin': await crc64(Buffer.from('something else')),
    };
    // As S3 lists them: a single-part ETag that looks like an MD5, and the algorithm of the checksum kept.
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(bodies).map(([key, body]) => ({ key, size: body.length, etag: `"${createHash('md5').update(body).digest('hex')}"`, checksumAlgorithm: kept[key] ? 'CRC64NVME' : undefined })),
    );
    const heads: string[] = [];
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      if (req.method === 'HEAD') {
        heads.push(req.key);
        const headers = { etag: `"${createHash('md5').update(bodies[req.key]!).digest('hex')}"`, 'x-amz-checksum-crc64nvme': kept[req.key]!, 'x-amz-checksum-type': 'FULL_OBJECT' };
        return { kind: 'respond', status: 200, body: '', headers };
      }
      return req.method === 'GET' && req.key !== 'plain.bin' ? { kind: 'addHeaders', headers: { 'x-amz-server-side-encryption': 'aws:kms' } } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning: { workerHashMinBytes: 4 * CHUNK } });

    expect(result.status).toBe('FAILED');
    await expectOutcomes(f, bodies, ['kms-worker.bin', 'kms-page-cache.bin', 'kms-unchecked.bin', 'plain.bin'], {
      'bad-kms-worker.bin': 'CRC64NVME',
      'bad-kms-page-cache.bin': 'CRC64NVME',
    });
    expect(heads.sort()).toEqual(Object.keys(kept).sort());
  });

  test("a plain object S3 keeps a CRC64NVME for is checked by it, not by its ETag's MD5: stated by a whole GET, or a HEAD beside a chunked object's GETs", async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = {
      'whole.txt': seededBytes(5000, 21),
      'bad-whole.txt': seededBytes(6000, 22),
      'worker.bin': seededBytes(4 * CHUNK + 3, 23),
      'page-cache.bin': seededBytes(2 * CHUNK + 5, 24),
      'bad-worker.bin': seededBytes(4 * CHUNK + 7, 25),
      'bad-page-cache.bin': seededBytes(2 * CHUNK + 9, 26),
      'sha256-listed.bin': seededBytes(2 * CHUNK + 11, 27),
    };
    await f.s3.putObjects(Object.entries(bodies));
    // Every object's bytes match its ETag's MD5; the bad ones' CRC64NVME is of other bytes, so only
    // a run that checked the CRC64NVME fails them.
    const crcs = new Map<string, string>();
    for (const key of Object.keys(bodies)) crcs.set(key, await crc64(key.startsWith('bad-') ? Buffer.from('something else') : bodies[key]!));
    const md5Etag = (key: string) => `"${createHash('md5').update(bodies[key]!).digest('hex')}"`;
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(bodies).map(([key, body]) => ({ key, size: body.length, etag: md5Etag(key), checksumAlgorithm: key === 'sha256-listed.bin' ? 'SHA256' : 'CRC64NVME' })),
    );
    const heads: string[] = [];
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      const headers = { 'x-amz-checksum-crc64nvme': crcs.get(req.key)!, 'x-amz-checksum-type': 'FULL_OBJECT' };
      if (req.method === 'HEAD') {
        heads.push(req.key);
        return { kind: 'respond', status: 200, body: '', headers: { ...headers, etag: md5Etag(req.key) } };
      }
      // As S3 answers: the checksum only on a whole GET that asked for it.
      return req.headers['x-amz-checksum-mode'] === 'ENABLED' && !req.headers.range ? { kind: 'addHeaders', headers } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning: { workerHashMinBytes: 4 * CHUNK } });

    expect(result.status).toBe('FAILED');
    await expectOutcomes(f, bodies, ['whole.txt', 'worker.bin', 'page-cache.bin', 'sha256-listed.bin'], {
      'bad-whole.txt': 'CRC64NVME',
      'bad-worker.bin': 'CRC64NVME',
      'bad-page-cache.bin': 'CRC64NVME',
    });
    // A HEAD for each chunked object listed with a CRC64NVME; none for the whole GETs (their answer
    // stated it) nor for the one listed with a SHA256, which is not preferred to the MD5.
    expect(heads.sort()).toEqual(['bad-page-cache.bin', 'bad-worker.bin', 'page-cache.bin', 'worker.bin']);
  });

  test("a store that refuses the checksum HEAD (a 4xx but 412): the ETag's MD5 decides, or the size", async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = {
      'plain.bin': seededBytes(2 * CHUNK + 5, 41),
      'corrupted.bin': seededBytes(2 * CHUNK + 7, 42),
      'kms.bin': seededBytes(2 * CHUNK + 9, 43),
    };
    await f.s3.putObjects(Object.entries(bodies));
    const listing = listingXml(
      f.s3.bucket,
      Object.entries(bodies).map(([key, body]) => ({ key, size: body.length, etag: `"${createHash('md5').update(body).digest('hex')}"`, checksumAlgorithm: 'CRC64NVME' })),
    );
    const heads: string[] = [];
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      if (req.method === 'HEAD') {
        heads.push(req.key);
        return { kind: 'respond', status: 400, body: '', headers: {} };
      }
      if (req.key === 'corrupted.bin' && !req.headers.range?.toString().startsWith(`bytes=${CHUNK}`)) return { kind: 'corrupt', atByte: 100 };
      return req.key === 'kms.bin' ? { kind: 'addHeaders', headers: { 'x-amz-server-side-encryption': 'aws:kms' } } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    await expectOutcomes(f, bodies, ['plain.bin', 'kms.bin'], { 'corrupted.bin': 'MD5' });
    // One checksum HEAD each, refused; not asked again when kms.bin's answer says encrypted.
    expect(heads.sort()).toEqual(['corrupted.bin', 'kms.bin', 'plain.bin']);
  });

  test("a chunked object's HEADs run beside its first GETs, not before them", async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const body = seededBytes(3 * CHUNK + 5, 17);
    await f.s3.putObjects([['multipart.bin', body]]);
    // A checksum algorithm listed and a multipart ETag: choosing the check takes a HEAD.
    const listing = listingXml(f.s3.bucket, [{ key: 'multipart.bin', etag: multipartEtag('multipart.bin'), size: body.length, checksumAlgorithm: 'CRC64NVME' }]);
    const stop = new AbortController();
    const giveUp = setTimeout(() => stop.abort(), 5_000);
    const seen: string[] = [];
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && !req.key) return { kind: 'respond', status: 200, body: listing };
      seen.push(req.method);
      // The HEAD is never answered: only a GET sent beside it, not after it, reaches the server.
      if (seen.includes('HEAD') && seen.includes('GET')) stop.abort();
      return req.method === 'HEAD' ? { kind: 'hang' } : undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), signal: stop.signal });
    clearTimeout(giveUp);

    expect(seen).toContain('HEAD');
    expect(seen).toContain('GET');
    expect(result.status).toBe('CANCELLED');
  });

  test('a download already complete on disk when its run was cut short is still checked when resumed', async () => {
    await using f = await startSyncFixture();
    const body = seededBytes(3 * CHUNK + 5, 18);
    await f.s3.putObjects([['whole.bin', body]]);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    // A run cut short after the last checkpoint, before verifying: every byte written (here, wrong
    // ones) and checkpointed, so the resumed transfer has no span left to fetch and no answer.
    const runId = await f.createRun();
    const store = createCheckpointStore(f.orm, f.jobId, runId, f.config.instanceId);
    const remote = { key: 'whole.bin', size: body.length, etag, lastModified: new Date(), checksumAlgorithms: [] };
    await store.upsert([{ remote, stored: undefined, lastPosition: 0 }]);
    await store.commit(remote.key, { status: 'PROCESSING', lastPosition: body.length });
    await mkdir(dirname(partialPathFor(f.root, remote.key)), { recursive: true });
    await writeFile(partialPathFor(f.root, remote.key), Buffer.alloc(body.length, 7));
    await f.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'FAILED', finishedAt: new Date() });

    const result = await f.sync();

    expect(result.status).toBe('FAILED');
    expect((await f.row(remote.key))?.error).toMatch(/^verification failed: MD5 mismatch: expected /);
    expect(existsSync(join(f.root, remote.key))).toBe(false);
  });

  test('ranged GETs of a chunked object do not ask for checksums (S3 states them for whole GETs)', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const body = seededBytes(300 * KiB, 10);
    await f.s3.putObjects([['chunked.bin', body]]);
    const gets: Array<{ range: string | undefined; mode: string | undefined }> = [];
    proxy.setRule((req) => {
      if (req.method === 'GET' && req.key) gets.push({ range: req.headers.range, mode: req.headers['x-amz-checksum-mode'] as string | undefined });
      return undefined;
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'chunked.bin'))).toBe(sha256(body));
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) expect(get).toEqual({ range: expect.stringMatching(/^bytes=\d+-\d+$/), mode: undefined });
  });
});
