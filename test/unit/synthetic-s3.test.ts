import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSyntheticS3, type SyntheticS3 } from '../helpers/synthetic-s3.js';

describe('synthetic S3 server (test fixture)', () => {
  let s3: SyntheticS3;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startSyntheticS3({ keys: 2500 });
    client = new S3Client({ ...s3.s3Config, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  test('lists every key once, in order, 1000 a page, with continuation tokens', async () => {
    s3.resetCounts();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        keys.push(item.Key!);
        expect(item.ETag).toBe(s3.etag(s3.indexOf(item.Key!)!));
      }
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(Array.from({ length: 2500 }, (_, i) => s3.keyAt(i)));
    expect(s3.counts.lists).toBe(3);
  });

  test('start-after, prefix and max-keys', async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, StartAfter: s3.keyAt(1234), MaxKeys: 5 }));
    expect(page.Contents!.map((c) => c.Key)).toEqual([1235, 1236, 1237, 1238, 1239].map((i) => s3.keyAt(i)));
    expect(page.IsTruncated).toBe(true);
    const prefixed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.keyAt(12).slice(0, -1) }));
    expect(prefixed.Contents!.map((c) => c.Key)).toEqual(Array.from({ length: 10 }, (_, i) => s3.keyAt(10 + i)));
    expect(prefixed.IsTruncated).toBe(false);
    const none = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'nothing/' }));
    expect(none.KeyCount).toBe(0);
  });

  test('a delimiter rolls keys up into common prefixes, as tools that list folder by folder expect', async () => {
    const top = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Delimiter: '/' }));
    expect(top.Contents ?? []).toEqual([]);
    expect(top.CommonPrefixes).toEqual([{ Prefix: 'obj/' }]);
    expect(top.IsTruncated).toBe(false);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'obj/', Delimiter: '/', ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(Array.from({ length: 2500 }, (_, i) => s3.keyAt(i)));
    // A page that ends on a common prefix continues past every key under it: keys 0–999 are 'obj/0000…',
    // then 'obj/0001000' rolls up at its next '0'.
    const first = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'obj/000', Delimiter: '0', MaxKeys: 1 }));
    expect(first.CommonPrefixes).toEqual([{ Prefix: 'obj/0000' }]);
    const second = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'obj/000', Delimiter: '0', MaxKeys: 1, ContinuationToken: first.NextContinuationToken }));
    expect(second.CommonPrefixes).toEqual([{ Prefix: 'obj/00010' }]);
  });

  test('GET (whole and ranged) serves the bytes whose MD5 is the ETag; If-Match mismatch is a 412', async () => {
    const key = s3.keyAt(42);
    const whole = Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
    expect(whole.length).toBe(s3.size(42));
    expect(`"${createHash('md5').update(whole).digest('hex')}"`).toBe(s3.etag(42));
    const part = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, Range: 'bytes=10-19', IfMatch: s3.etag(42) }));
    expect(Buffer.from(await part.Body!.transformToByteArray())).toEqual(whole.subarray(10, 20));
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(head.ContentLength).toBe(s3.size(42));
    const before = s3.etag(42);
    s3.change(42);
    expect(s3.etag(42)).not.toBe(before);
    await expect(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, IfMatch: before }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });

  test('an injected list failure answers 500 once; deleted keys are neither listed nor served', async () => {
    s3.resetCounts();
    s3.faults.failLists.add(1);
    await expect(client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    s3.deleted.add(0);
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, MaxKeys: 1 }));
    expect(page.Contents![0]!.Key).toBe(s3.keyAt(1));
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: s3.keyAt(0) }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    s3.deleted.clear();
  });
});
