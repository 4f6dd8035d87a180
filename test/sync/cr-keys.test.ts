import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startSyncFixture, type SyncFixture } from './sync-fixture.js';

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** S3's encoding-type=url: form-style percent-encoding (a space as "+", "+" as %2B). */
const s3UrlEncode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
const bodyOf = (key: string) => `body of ${JSON.stringify(key)}`;

/**
 * S3 (and s3rver) write a key's carriage return as a raw CR byte in a ListObjectsV2 answer without
 * encoding-type=url (boto/boto#23; measured against S3 in go-to-k/cdkd#3331), and XML end-of-line
 * handling reads it as a line feed. Asked with encoding-type=url, S3 sends `%0D` instead. s3rver
 * ignores encoding-type, so the proxy answers such a listing as S3 would; without it, s3rver's own
 * answer (raw CR, as S3's) goes through.
 */
async function s3Like(f: SyncFixture, keys: string[]): Promise<FaultProxy> {
  const etags = new Map<string, string>();
  for (const key of keys) etags.set(key, (await f.s3.putObject(key, bodyOf(key))).etag);
  const proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
  proxy.setRule((req) => {
    if (req.method !== 'GET' || req.key || req.query.get('encoding-type') !== 'url') return undefined;
    const contents = [...keys]
      .sort()
      .map(
        (k) =>
          `<Contents><Key>${s3UrlEncode(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${xmlText(etags.get(k)!)}</ETag><Size>${Buffer.byteLength(bodyOf(k))}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${f.s3.bucket}</Name><Prefix></Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
    return { kind: 'respond', status: 200, body };
  });
  return proxy;
}

describe('keys holding a carriage return', () => {
  test('are listed, fetched and stored under their exact key', async () => {
    await using f = await startSyncFixture();
    const keys = ['cr\rkey.txt', 'crlf\r\nkey.txt', 'plain +.txt'];
    await using proxy = await s3Like(f, keys);
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    const rows = (await f.rows()).map((r) => [JSON.stringify(r.key), r.status, r.error]);
    expect(rows).toEqual([...keys].sort().map((k) => [JSON.stringify(k), 'PROCESSED', null]));
    for (const key of keys) expect(await readFile(join(f.root, key), 'utf8')).toBe(bodyOf(key));
    expect(result.status).toBe('SUCCEEDED');
  });

  test('a key with a CR beside the same key with an LF: both land', async () => {
    await using f = await startSyncFixture();
    const keys = ['twin\r.txt', 'twin\n.txt'];
    await using proxy = await s3Like(f, keys);
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    const rows = (await f.rows()).map((r) => [JSON.stringify(r.key), r.status, r.error]);
    expect(rows).toEqual([...keys].sort().map((k) => [JSON.stringify(k), 'PROCESSED', null]));
    for (const key of keys) expect(await readFile(join(f.root, key), 'utf8')).toBe(bodyOf(key));
    expect(result.run.objectsTotal).toBe(2);
  });
});
