import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

interface Raw {
  status: number;
  encoding: string | undefined;
  vary: string | undefined;
  bytes: Buffer;
  /** The body after undoing its content encoding. */
  text: string;
}

/** A request with exactly these headers, the body read as bytes (no client-side decompression). */
function get(app: TestApp, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest(`${app.url}${path}`, { method, headers: { ...length, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const plain = encoding === 'br' ? brotliDecompressSync(bytes) : encoding === 'gzip' ? gunzipSync(bytes) : bytes;
        resolve({ status: res.statusCode ?? 0, encoding, vary: res.headers.vary, bytes, text: plain.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP responses are compressed when the client accepts it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    for (let i = 0; i < 30; i += 1) {
      await app.services.jobs.create({
        name: `job-${i}`, connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'bkt', prefix: `p/${i}/` },
      });
    }
  });
  afterAll(() => app.stop());

  it("GraphiQL's page: br for browsers, several times smaller, the same page", async () => {
    const html = { accept: 'text/html' };
    const plain = await get(app, '/graphql', html);
    const br = await get(app, '/graphql', { ...html, 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.encoding).toBeUndefined();
    expect(br.encoding).toBe('br');
    expect(br.vary).toMatch(/accept-encoding/i);
    expect(br.text).toBe(plain.text);
    expect(plain.bytes.length).toBeGreaterThan(1_000_000);
    expect(br.bytes.length).toBeLessThan(plain.bytes.length / 3);
  });

  it('REST JSON above 1 KiB is gzipped for a gzip-only client; small bodies and clients without Accept-Encoding get identity', async () => {
    const plain = await get(app, '/api/v1/scheduler/list_jobs', {});
    const gzip = await get(app, '/api/v1/scheduler/list_jobs', { 'accept-encoding': 'gzip' });
    expect(plain.encoding).toBeUndefined();
    expect(gzip.encoding).toBe('gzip');
    expect(JSON.parse(gzip.text)).toEqual(JSON.parse(plain.text));
    expect(JSON.parse(gzip.text).jobs).toHaveLength(30);
    const small = await get(app, '/healthz', { 'accept-encoding': 'gzip, br' });
    expect(small.encoding).toBeUndefined();
    expect(JSON.parse(small.text)).toEqual({ status: 'ok' });
  });

  it('GraphQL results above 1 KiB are compressed too', async () => {
    const body = JSON.stringify({ query: '{ jobs(first: 30) { edges { node { id name schedule connectorConfig { prefix } } } } }' });
    const res = await get(app, '/graphql', { 'content-type': 'application/json', 'accept-encoding': 'br' }, 'POST', body);
    expect(res.status).toBe(200);
    expect(res.encoding).toBe('br');
    expect(JSON.parse(res.text).data.jobs.edges).toHaveLength(30);
  });
});
