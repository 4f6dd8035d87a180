import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../helpers/logs.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startTestApp } from '../helpers/test-app.js';

const PAGE = { accept: 'text/html' };

/**
 * Every compression in the process, the `compression` middleware's streams and one-shot calls alike
 * (the middleware and the service reach zlib through the same module object).
 */
function countCompressions() {
  const spies = {
    br: [vi.spyOn(zlib, 'createBrotliCompress'), vi.spyOn(zlib, 'brotliCompress'), vi.spyOn(zlib, 'brotliCompressSync')],
    gzip: [vi.spyOn(zlib, 'createGzip'), vi.spyOn(zlib, 'gzip'), vi.spyOn(zlib, 'gzipSync')],
    deflate: [vi.spyOn(zlib, 'createDeflate'), vi.spyOn(zlib, 'deflate'), vi.spyOn(zlib, 'deflateSync')],
  };
  const count = (list: Array<{ mock: { calls: unknown[] } }>) => list.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  return () => ({ br: count(spies.br), gzip: count(spies.gzip), deflate: count(spies.deflate) });
}

/**
 * GraphiQL's page is ~9 MB and open without a token: rendering and compressing it per request let
 * anyone keep the CPU busy (br ≈0.8 s a request). It is the same page every time.
 */
describe('GraphiQL page, rendered and compressed once', () => {
  afterEach(() => vi.restoreAllMocks());

  it('many requests cost one render and one compression per coding; the bytes are identical; an ETag gets 304', async () => {
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ logger });
    const compressions = countCompressions();

    const brotli = await Promise.all([1, 2, 3, 4].map(() => rawRequest(app, '/graphql', { ...PAGE, 'accept-encoding': 'gzip, deflate, br' })));
    const gzip = [];
    for (let i = 0; i < 3; i += 1) gzip.push(await rawRequest(app, '/graphql', { ...PAGE, 'accept-encoding': 'gzip' }));
    const plain = await rawRequest(app, '/graphql', PAGE);
    const deflateOnly = await rawRequest(app, '/graphql', { ...PAGE, 'accept-encoding': 'deflate' });

    expect(compressions()).toEqual({ br: 1, gzip: 1, deflate: 0 });
    expect(lines.filter((line) => line.msg === 'GraphiQL page rendered')).toHaveLength(1);

    expect(plain.status).toBe(200);
    expect(plain.encoding).toBeUndefined();
    expect(plain.text).toContain('<title>data-sync-scheduler</title>');
    for (const res of brotli) {
      expect(res.status).toBe(200);
      expect(res.encoding).toBe('br');
      expect(res.bytes.equals(brotli[0]!.bytes)).toBe(true);
    }
    for (const res of gzip) {
      expect(res.encoding).toBe('gzip');
      expect(res.bytes.equals(gzip[0]!.bytes)).toBe(true);
    }
    expect(brotli[0]!.text).toBe(plain.text);
    expect(gzip[0]!.text).toBe(plain.text);
    expect(deflateOnly.encoding).toBeUndefined();
    expect(deflateOnly.bytes.equals(plain.bytes)).toBe(true);

    const etag = String(plain.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    expect([...brotli, ...gzip].map((res) => res.headers.etag)).toEqual(Array(7).fill(etag));
    for (const res of [plain, brotli[0]!, gzip[0]!]) {
      expect(res.vary).toMatch(/accept-encoding/i);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'( 'sha256-[\w+/=]+')+;/);
    }

    const revalidated = await rawRequest(app, '/graphql', { ...PAGE, 'accept-encoding': 'br', 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.bytes.length).toBe(0);
    expect(revalidated.headers.etag).toBe(etag);
    expect(revalidated.headers['x-frame-options']).toBe('DENY');
    const stale = await rawRequest(app, '/graphql', { ...PAGE, 'accept-encoding': 'br', 'if-none-match': 'W/"other"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.equals(brotli[0]!.bytes)).toBe(true);
    expect(compressions()).toEqual({ br: 1, gzip: 1, deflate: 0 });
  });
});
