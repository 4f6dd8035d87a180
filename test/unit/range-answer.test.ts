import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { readAll } from '../../src/sync/transport/byte-source.js';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';

/** A store that answers each ranged GET with that range, 206, as a chunked body (no Content-Length). */
const OBJECT = Buffer.from('0123456789'.repeat(100));
let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const [, first, last] = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') ?? [];
    res.writeHead(206, { 'content-range': `bytes ${first}-${last}/${OBJECT.length}`, etag: '"e"' });
    const part = OBJECT.subarray(Number(first), Number(last) + 1);
    res.write(part.subarray(0, 10));
    res.end(part.subarray(10));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a ranged GET answered as a chunked body', () => {
  test('its length is the range it answers (checked against Content-Range), and the body arrives whole', async () => {
    const { s3 } = loadConfig({ S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true' });
    const connector = createS3Connector({ s3, credentials: { accessKeyId: 'k', secretAccessKey: 's' }, retry: { count: 0, delaySeconds: 0, backoff: 1 }, maxSockets: 1 });
    try {
      const answer = await connector.getRange('bucket', 'key', { etag: '"e"', start: 100, end: 300 });
      expect(answer.contentLength).toBe(200);
      expect(await readAll(answer.body, 1_000, () => new Error('too long'))).toEqual(OBJECT.subarray(100, 300));
    } finally {
      connector.destroy();
    }
  });
});
