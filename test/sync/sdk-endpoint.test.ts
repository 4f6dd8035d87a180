import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/env.js';
import { readAll } from '../../src/sync/transport/byte-source.js';
import { withRetry } from '../../src/sync/transport/retry.js';
import { withEnv } from '../helpers/env.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { resolveLocalhostSubdomains } from '../helpers/loopback.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { S3RVER_CREDENTIALS } from '../helpers/s3-server.js';
import { startSigV4Gateway, type GatewayOptions, type SigV4Gateway } from '../helpers/sigv4-gateway.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/**
 * Listings and GETs are signed by hand (signed-get.ts): both must reach the server the SDK's
 * endpoint resolution names, addressed and signed as the SDK would.
 */

const SMALL = 'a small object';
const BIG = seededBytes(3 * CHUNK + 17, 14);

async function seed(f: SyncFixture) {
  await f.s3.putObjects([
    ['small.txt', SMALL],
    ['dir/big.bin', BIG],
  ]);
}

/** A run through the fixture's own connector (built from `s3`), as a scheduled run builds it. */
async function syncWith(f: SyncFixture, s3: Config['s3'], env: Record<string, string | undefined> = {}) {
  f.config.s3 = s3;
  const result = await withEnv(env, () => f.sync());
  expect(result.status, result.run.error ?? '').toBe('SUCCEEDED');
  expect(await sha256File(join(f.root, 'small.txt'))).toBe(sha256(SMALL));
  expect(await sha256File(join(f.root, 'dir/big.bin'))).toBe(sha256(BIG));
  return result;
}

/** Every request went through the gateway and verified: one listing at least, and the GETs. */
function expectListingAndGetsThrough(gateway: SigV4Gateway, bucket: string) {
  expect(gateway.requests.length).toBeGreaterThan(0);
  expect(gateway.requests.filter((r) => !r.verified)).toEqual([]);
  expect(gateway.requests.some((r) => r.query.includes('list-type=2'))).toBe(true);
  const gets = gateway.requests.filter((r) => r.method === 'GET' && !r.query.includes('list-type'));
  expect(gets.map((r) => r.path.replace(new RegExp(`^.*?/${bucket}/|^/`), ''))).toEqual(expect.arrayContaining(['small.txt', 'dir/big.bin']));
}

async function gatewayFor(f: SyncFixture, region = 'us-east-1', options: GatewayOptions = {}, sessionToken?: string) {
  return startSigV4Gateway(f.s3.endpoint, { region, ...S3RVER_CREDENTIALS, sessionToken }, options);
}

describe("hand-signed listings and GETs go where the SDK's endpoint resolution says", () => {
  test('generic AWS_ENDPOINT_URL, with a session token on every request', async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using gateway = await gatewayFor(f, 'us-east-1', {}, 'session-token-14');
    await syncWith(
      f,
      { region: 'us-east-1', endpoint: undefined, forcePathStyle: true },
      { AWS_ENDPOINT_URL: gateway.endpoint, AWS_SESSION_TOKEN: 'session-token-14' },
    );
    expectListingAndGetsThrough(gateway, f.s3.bucket);
    expect(gateway.requests.every((r) => r.sessionToken === 'session-token-14')).toBe(true);
  });

  test("a shared-config profile's endpoint_url and region", async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using gateway = await gatewayFor(f, 'eu-west-3');
    const dir = await mkdtemp(join(tmpdir(), 'aws-config-'));
    try {
      const configFile = join(dir, 'config');
      const { accessKeyId, secretAccessKey } = S3RVER_CREDENTIALS;
      await writeFile(
        configFile,
        [
          '[profile sync-test]',
          'region = eu-west-3',
          `endpoint_url = ${gateway.endpoint}`,
          `aws_access_key_id = ${accessKeyId}`,
          `aws_secret_access_key = ${secretAccessKey}`,
          '',
        ].join('\n'),
      );
      await syncWith(
        f,
        { region: undefined, endpoint: undefined, forcePathStyle: true },
        {
          AWS_CONFIG_FILE: configFile,
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials-file'),
          AWS_PROFILE: 'sync-test',
          AWS_REGION: undefined,
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The gateway verifies each signature for eu-west-3: the profile's region signed the GETs too.
    expectListingAndGetsThrough(gateway, f.s3.bucket);
  });

  describe('virtual-hosted addressing', () => {
    resolveLocalhostSubdomains();

    test('without path style, the bucket is the host name for listings and GETs', async () => {
      await using f = await startSyncFixture();
      await seed(f);
      await using gateway = await gatewayFor(f, 'us-east-1', { virtualHostSuffix: 'localhost' });
      const port = new URL(gateway.endpoint).port;
      await syncWith(f, { region: 'us-east-1', endpoint: `http://localhost:${port}`, forcePathStyle: false });
      expectListingAndGetsThrough(gateway, f.s3.bucket);
      expect(new Set(gateway.requests.map((r) => r.host))).toEqual(new Set([`${f.s3.bucket}.localhost:${port}`]));
    });
  });

  test('an endpoint with a base path keeps it for listings and GETs', async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using gateway = await gatewayFor(f, 'us-east-1', { basePath: '/base' });
    await syncWith(f, { region: 'us-east-1', endpoint: `${gateway.endpoint}/base`, forcePathStyle: true });
    expectListingAndGetsThrough(gateway, f.s3.bucket);
    expect(gateway.requests.every((r) => r.path.startsWith(`/base/${f.s3.bucket}`))).toBe(true);
  });

  test("an explicit endpoint (the job's, or AWS_ENDPOINT_URL_S3) wins over AWS_ENDPOINT_URL for GETs as for listings", async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using gateway = await gatewayFor(f);
    await using elsewhere = await startFaultProxy(f.s3.endpoint);
    elsewhere.setRule(() => ({ kind: 'status', status: 403, code: 'AccessDenied' }));
    await syncWith(f, { region: 'us-east-1', endpoint: gateway.endpoint, forcePathStyle: true }, { AWS_ENDPOINT_URL: elsewhere.endpoint });
    expectListingAndGetsThrough(gateway, f.s3.bucket);
    expect(elsewhere.counts.requests).toBe(0);
  });
});

describe('clock skew', () => {
  const TWO_HOURS = 2 * 3600_000;

  test("GETs are dated with the offset the client learnt from the server's clock", async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using gateway = await gatewayFor(f, 'us-east-1', { clockSkewMs: TWO_HOURS });
    await syncWith(f, { region: 'us-east-1', endpoint: gateway.endpoint, forcePathStyle: true });
    // The first request (the listing) is refused and teaches the client the offset; no GET is refused.
    const refused = gateway.requests.filter((r) => r.skewed);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.query).toContain('list-type=2');
    expect(gateway.requests.filter((r) => !r.skewed && !r.verified)).toEqual([]);
  });

  test('a GET refused for a skewed clock corrects the offset and is retried once', async () => {
    await using f = await startSyncFixture();
    const { etag } = await f.s3.putObject('k.txt', 'hello');
    await using gateway = await gatewayFor(f, 'us-east-1', { clockSkewMs: -TWO_HOURS });
    const connector = f.connectorVia(gateway.endpoint);
    const response = await withRetry(() => connector.getRange(f.s3.bucket, 'k.txt', { etag, start: 0 }), {
      count: 3,
      delaySeconds: 0,
      backoff: 1,
    });
    expect((await readAll(response.body)).toString()).toBe('hello');
    expect(gateway.requests.map((r) => (r.skewed ? 'skewed' : r.verified))).toEqual(['skewed', true]);
  });
});

describe('a GET stalled mid-body', () => {
  test('a cancel ends it at once (not at the socket timeout); the next run completes the object', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await f.s3.putObject('stalled.bin', BIG);
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const stallAt = CHUNK + 100;
    proxy.setRule((req) => (req.method === 'GET' && req.key === 'stalled.bin' ? { kind: 'stallMidBody', afterBytes: stallAt } : undefined));
    // Idle sockets would time out after 10 minutes: only the cancel can end this run within the test's time.
    const connector = f.connectorVia(proxy.endpoint, { socketTimeoutMs: 600_000, retryCount: 0 });
    const controller = new AbortController();
    const run = f.sync({ signal: controller.signal, connector });
    await waitFor(() => proxy.counts.bytesToClient >= stallAt, 10_000, 'the body to stall');
    controller.abort();
    const cancelled = await run;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.run.status).toBe('CANCELLED');
    await waitFor(() => proxy.counts.getsInFlight === 0, 5_000, 'the stalled GET to be closed');

    proxy.setRule(undefined);
    const second = await f.sync({ connector });
    expect(second.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'stalled.bin'))).toBe(sha256(BIG));
  });

  test('an abort ends a GET still waiting for its headers, and a GET asked for after the abort is never sent', async () => {
    await using f = await startSyncFixture();
    const { etag } = await f.s3.putObject('k.txt', 'hello');
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.key ? { kind: 'hang' } : undefined));
    const connector = f.connectorVia(proxy.endpoint, { socketTimeoutMs: 600_000 });
    const controller = new AbortController();
    const pending = connector.getRange(f.s3.bucket, 'k.txt', { etag, start: 0 }, controller.signal);
    await waitFor(() => proxy.counts.gets === 1, 5_000, 'the GET to reach the proxy');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(connector.getRange(f.s3.bucket, 'k.txt', { etag, start: 0 }, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(proxy.counts.gets).toBe(1);
  });

  test('a cancel ends a listing stalled mid-body too', async () => {
    await using f = await startSyncFixture();
    await seed(f);
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.query.has('list-type') ? { kind: 'stallMidBody', afterBytes: 200 } : undefined));
    const connector = f.connectorVia(proxy.endpoint, { socketTimeoutMs: 600_000, retryCount: 0 });
    const controller = new AbortController();
    const run = f.sync({ signal: controller.signal, connector });
    await waitFor(() => proxy.counts.bytesToClient >= 200, 10_000, 'the listing to stall');
    controller.abort();
    const cancelled = await run;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.run.status).toBe('CANCELLED');
    expect(await f.rows()).toEqual([]);
  });
});
