import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createHttp1Client } from '../../src/sync/transport/http1-client.js';
import { isRetriableS3Error } from '../../src/sync/transport/retry.js';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { startForwardProxy, startHttpsFront } from '../helpers/forward-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/**
 * S3 behind a corporate forward proxy. The endpoint's name resolves nowhere but in the proxy's
 * routes, so a request that went around the proxy would fail rather than pass unnoticed.
 */
const HOST = 's3.proxied.localhost';
const SMALL = 'a small object';
const BIG = seededBytes(3 * CHUNK + 17, 41);
const CREDENTIALS = { user: 'sync svc', password: 'p@ss:w/rd%' };

async function seed(f: SyncFixture) {
  await f.s3.putObjects([
    ['small.txt', SMALL],
    ['dir/big.bin', BIG],
  ]);
}

async function expectSynced(f: SyncFixture, result: Awaited<ReturnType<SyncFixture['sync']>>) {
  expect(result.status, result.run.error ?? '').toBe('SUCCEEDED');
  expect(await sha256File(join(f.root, 'small.txt'))).toBe(sha256(SMALL));
  expect(await sha256File(join(f.root, 'dir/big.bin'))).toBe(sha256(BIG));
}

/** `requests` (method and path) hold every listing, GET and HEAD the S3 server answered: none went around the proxy. */
function expectEveryRequestIn(requests: string[], f: SyncFixture) {
  const listings = requests.filter((request) => request.startsWith(`GET /${f.s3.bucket}/?`) && /[?&]list-type=2(&|$)/.test(request));
  const gets = requests.filter((request) => request === `GET /${f.s3.bucket}/small.txt` || request === `GET /${f.s3.bucket}/dir/big.bin`);
  expect(listings.length).toBe(f.s3.counts.lists);
  expect(gets.length).toBe(f.s3.counts.gets);
  expect(gets).toContain(`GET /${f.s3.bucket}/dir/big.bin`);
  expect(requests).toContain(`HEAD /${f.s3.bucket}/dir/big.bin`);
  expect(f.s3.counts.heads).toBe(1);
}

describe('S3 through an outbound HTTP proxy', () => {
  test('http:// endpoint: HTTP_PROXY carries the listing, the ranged GETs and the SDK HEADs as absolute-form requests, with its credentials', async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using proxy = await startForwardProxy({ routes: { [`${HOST}:80`]: `127.0.0.1:${f.s3.port}` }, credentials: CREDENTIALS });
    // As loadConfig reads HTTP_PROXY: the service's own connector, built from the configuration.
    f.config.s3 = { ...f.config.s3, endpoint: `http://${HOST}` };
    f.config.proxy = { http: proxy.url, noProxy: [] };
    await expectSynced(f, await f.sync());

    const connector = createS3Connector({ s3: f.config.s3, retry: f.config.retry, maxSockets: 4, proxy: f.config.proxy });
    try {
      expect((await connector.head(f.s3.bucket, 'dir/big.bin')).size).toBe(BIG.length);
    } finally {
      connector.destroy();
    }
    expect(proxy.calls.every((call) => call.authorized && new URL(call.target).hostname === HOST)).toBe(true);
    expectEveryRequestIn(proxy.calls.map((call) => `${call.method} ${new URL(call.target).pathname}${new URL(call.target).search}`), f);
  });

  test('https:// endpoint: HTTPS_PROXY tunnels every connection with CONNECT and the server certificate is still verified', async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using front = await startHttpsFront(HOST, f.s3.endpoint);
    await using proxy = await startForwardProxy({ routes: { [`${HOST}:443`]: `127.0.0.1:${front.port}` }, credentials: CREDENTIALS });
    const s3 = { ...f.config.s3, endpoint: `https://${HOST}` };
    const proxySettings = { https: proxy.url, noProxy: [] };
    const connector = createS3Connector({ s3, retry: f.config.retry, maxSockets: 8, proxy: proxySettings, tls: { ca: front.ca } });
    try {
      await expectSynced(f, await f.sync({ connector }));
      expect((await connector.head(f.s3.bucket, 'dir/big.bin')).size).toBe(BIG.length);
    } finally {
      connector.destroy();
    }
    expect(proxy.calls.length).toBeGreaterThan(0);
    expect(proxy.calls.every((call) => call.method === 'CONNECT' && call.target === `${HOST}:443` && call.authorized)).toBe(true);
    // What arrived inside the tunnels.
    expectEveryRequestIn(front.requests, f);

    // Without the CA, the tunnel is no way around the certificate check.
    const untrusting = createS3Connector({ s3, retry: { ...f.config.retry, count: 0 }, maxSockets: 2, proxy: proxySettings });
    try {
      await expect(untrusting.head(f.s3.bucket, 'small.txt')).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      untrusting.destroy();
    }
  });

  test('a proxy that refuses the credentials fails the run with its 407, naming neither the user nor the password', async () => {
    await using f = await startSyncFixture({ retryCount: 1 });
    await seed(f);
    await using front = await startHttpsFront(HOST, f.s3.endpoint);
    await using proxy = await startForwardProxy({
      routes: { [`${HOST}:80`]: `127.0.0.1:${f.s3.port}`, [`${HOST}:443`]: `127.0.0.1:${front.port}` },
      credentials: CREDENTIALS,
    });
    const wrong = proxy.url.replace(encodeURIComponent(CREDENTIALS.password), 'not-it');
    for (const secure of [false, true]) {
      f.config.s3 = { ...f.config.s3, endpoint: `${secure ? 'https' : 'http'}://${HOST}` };
      f.config.proxy = secure ? { https: wrong, noProxy: [] } : { http: wrong, noProxy: [] };
      const result = await f.sync();
      expect(result.status).toBe('FAILED');
      expect(result.run.error).toMatch(/407/);
      expect(result.run.error).not.toMatch(/not-it|sync/);
    }
    expect(front.requests).toEqual([]);
    expect(f.s3.counts.gets + f.s3.counts.lists).toBe(0);
  });

  test('a proxy that never answers CONNECT: the request fails at the connection timeout, or as soon as it is cancelled', async () => {
    const silent = createNetServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const proxy = { https: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, noProxy: [] };
    const request = { secure: true, host: HOST, port: 443, path: '/', headers: {} };
    const impatient = createHttp1Client({ connectionTimeoutMs: 200, socketTimeoutMs: 60_000, maxIdlePerOrigin: 1, proxy });
    // The test's own timeout ends it if the cancel does not.
    const patient = createHttp1Client({ connectionTimeoutMs: 600_000, socketTimeoutMs: 600_000, maxIdlePerOrigin: 1, proxy });
    try {
      await expect(impatient.request(request)).rejects.toMatchObject({ name: 'TimeoutError', message: 'no tunnel through the proxy after 200 ms' });
      const controller = new AbortController();
      const pending = patient.request({ ...request, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      impatient.close();
      patient.close();
      silent.close();
    }
  });

  test("a proxy's 502 (it could not reach the server) is retried like S3's; its 407 is not", async () => {
    await using proxy = await startForwardProxy({ routes: {}, credentials: CREDENTIALS });
    const refusal = async (proxyUrl: string) => {
      const client = createHttp1Client({ connectionTimeoutMs: 2_000, socketTimeoutMs: 2_000, maxIdlePerOrigin: 1, proxy: { https: proxyUrl, noProxy: [] } });
      try {
        return await client.request({ secure: true, host: HOST, port: 443, path: '/', headers: {} }).catch((error: unknown) => error);
      } finally {
        client.close();
      }
    };
    const unreachable = await refusal(proxy.url);
    expect(unreachable).toMatchObject({ name: 'ProxyRefusalError', $metadata: { httpStatusCode: 502 } });
    expect(isRetriableS3Error(unreachable)).toBe(true);
    const refused = await refusal(proxy.url.replace(encodeURIComponent(CREDENTIALS.password), 'not-it'));
    expect(refused).toMatchObject({ name: 'ProxyRefusalError', $metadata: { httpStatusCode: 407 } });
    expect((refused as Error).message).toBe(`the proxy 127.0.0.1:${new URL(proxy.url).port} refused a tunnel to ${HOST}:443: HTTP 407 Proxy Authentication Required`);
    expect(isRetriableS3Error(refused)).toBe(false);
  });
});
