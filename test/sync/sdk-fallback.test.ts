import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { resolveLocalhostSubdomains } from '../helpers/loopback.js';
import { S3RVER_CREDENTIALS } from '../helpers/s3-server.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/** A directory bucket's name: the SDK's endpoint rules give it S3 Express session auth, not plain SigV4. */
const DIRECTORY_BUCKET = 'dss-test--use1-az4--x-s3';
const SESSION_TOKEN = 'session-token-from-create-session';

/** CreateSession's answer; the session's keys are s3rver's own (s3rver checks only that the key exists). */
const SESSION = `<?xml version="1.0" encoding="UTF-8"?>
<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials><SessionToken>${SESSION_TOKEN}</SessionToken><SecretAccessKey>${S3RVER_CREDENTIALS.secretAccessKey}</SecretAccessKey><AccessKeyId>${S3RVER_CREDENTIALS.accessKeyId}</AccessKeyId><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></CreateSessionResult>`;

/**
 * The engine signs listings and GETs itself only for plain SigV4. A bucket whose endpoint rules ask
 * for another scheme (S3 Express directory buckets, SigV4a) goes through the SDK, which opens a
 * session (CreateSession) and signs every request with its credentials and token.
 */
describe('a bucket that needs the SDK (S3 Express session auth)', () => {
  resolveLocalhostSubdomains();

  test('is listed and fetched through the SDK, every request signed with the session it opened', async () => {
    await using f = await startSyncFixture({ bucket: DIRECTORY_BUCKET });
    await using proxy = await startFaultProxy(f.s3.endpoint);
    const bodies: Record<string, Buffer> = {
      'small.txt': seededBytes(3_000, 1),
      'dir/medium.bin': seededBytes(CHUNK - 7, 2),
      'dir/large.bin': seededBytes(3 * CHUNK + 5, 3),
    };
    // Seeded with plain PUTs (s3rver takes anonymous ones): for a directory bucket on a custom
    // endpoint, the SDK's path-style URL doubles the slash before the key, which s3rver does not serve.
    for (const [key, body] of Object.entries(bodies)) {
      const put = await fetch(`${f.s3.endpoint}/${DIRECTORY_BUCKET}/${key}`, { method: 'PUT', body: new Uint8Array(body) });
      expect(put.status, key).toBe(200);
    }
    const seen: Array<{ what: string; host: string; token: unknown; scope: string }> = [];
    proxy.setRule((req): Fault | undefined => {
      const what = req.query.has('session') ? 'CreateSession' : req.query.get('list-type') === '2' ? 'list' : `${req.method} ${req.path.slice(1)}`;
      const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      seen.push({ what, host: String(req.headers.host), token: req.headers['x-amz-s3session-token'], scope });
      return what === 'CreateSession' ? { kind: 'respond', status: 200, body: SESSION } : undefined;
    });
    const port = new URL(proxy.endpoint).port;
    const connector = sdkConnector(f, proxy.endpoint);
    const result = await f.sync({ connector }).finally(() => connector.destroy());

    expect(result.status, result.run.error ?? '').toBe('SUCCEEDED');
    for (const [key, body] of Object.entries(bodies)) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
    expect((await f.rows()).map((row) => row.status)).toEqual(['PROCESSED', 'PROCESSED', 'PROCESSED']);
    expect(seen[0]).toMatchObject({ what: 'CreateSession', token: undefined, scope: 's3express' });
    const rest = seen.slice(1);
    expect(rest.map((r) => r.what)).toEqual(expect.arrayContaining(['list', 'GET small.txt', 'GET dir/medium.bin', 'GET dir/large.bin']));
    for (const request of rest) expect(request, request.what).toMatchObject({ what: expect.not.stringMatching(/CreateSession/), token: SESSION_TOKEN, scope: 's3express' });
    expect(new Set(seen.map((r) => r.host))).toEqual(new Set([`${DIRECTORY_BUCKET}.s3.localhost:${port}`]));
  });
});

describe('an object made shorter at the source between the listing and its first GET, through the SDK (If-Match ignored)', () => {
  resolveLocalhostSubdomains();

  test('is fetched again at its new version, as on the signed path', async () => {
    await using f = await startSyncFixture({ bucket: DIRECTORY_BUCKET });
    await using proxy = await startFaultProxy(f.s3.endpoint);
    const put = (key: string, body: Buffer) => fetch(`${f.s3.endpoint}/${DIRECTORY_BUCKET}/${key}`, { method: 'PUT', body: new Uint8Array(body) });
    expect((await put('big.bin', seededBytes(16 * CHUNK, 1))).status).toBe(200);
    const shorter = seededBytes(CHUNK + 1000, 2);
    let replaced: Promise<Response> | undefined;
    proxy.setRule((req): Fault | undefined => {
      if (req.query.has('session')) return { kind: 'respond', status: 200, body: SESSION };
      if (req.method !== 'GET' || req.path !== '/big.bin' || replaced) return undefined;
      // The first GET waits while the object is overwritten with a shorter version.
      replaced = put('big.bin', shorter);
      return { kind: 'latency', ms: 800 };
    });
    const connector = sdkConnector(f, proxy.endpoint);
    const result = await f.sync({ connector }).finally(() => connector.destroy());
    expect((await replaced)?.status).toBe(200);
    expect({ status: result.run.status, error: result.run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(shorter));
  });
});

/** Virtual-hosted, as S3 Express always is: `<bucket>.s3.localhost`, which s3rver maps to the bucket. */
function sdkConnector(f: SyncFixture, proxyEndpoint: string) {
  return createS3Connector({
    s3: { endpoint: `http://s3.localhost:${new URL(proxyEndpoint).port}`, forcePathStyle: false, region: f.s3.s3Config.region },
    retry: { ...f.config.retry, count: 0 },
    maxSockets: 8,
  });
}
