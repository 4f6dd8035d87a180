import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { readAll } from '../../src/sync/transport/byte-source.js';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3Server } from '../helpers/s3-server.js';
import { startSdkVerifier } from '../helpers/sdk-sig-verifier.js';
import { resolveLocalhostSubdomains } from '../helpers/loopback.js';

resolveLocalhostSubdomains();

const long = ['x'.repeat(200), 'ü'.repeat(100), '日'.repeat(66), 'y'.repeat(200), 'z'.repeat(150)].join('/');

export const NASTY_KEYS = [
  'sp ace/a b.txt',
  'plus+key',
  'pct%key',
  'pct%2Fslash',
  'tilde~key',
  'star*key',
  "quote'key",
  'paren(key)',
  'bang!key',
  'nfc-\u00e9',
  'nfd-e\u0301',
  'emoji-📦',
  'cjk-日本語',
  'eq=amp&q?hash#semi;comma,at@colon:dollar$',
  'trailing space ',
  long,
];

const sdkClient = (endpoint: string, secret = S3RVER_CREDENTIALS.secretAccessKey) =>
  new S3Client({
    endpoint,
    region: S3RVER_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_CREDENTIALS.accessKeyId, secretAccessKey: secret },
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

describe('SigV4 verified with the SDK signer', () => {
  test('the verifier passes the SDK own requests and refuses a wrong secret', async () => {
    await using s3 = await startS3Server();
    for (const key of NASTY_KEYS) await s3.putObject(key, `body of ${key}`);
    await using v = await startSdkVerifier(s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION);
    const client = sdkClient(v.endpoint);
    for (const key of NASTY_KEYS) {
      const out = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(await out.Body!.transformToString(), key).toBe(`body of ${key}`);
      await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    }
    for (const prefix of ['', 'sp ace/', 'eq=amp&q', 'pct%', 'nfd-e\u0301', 'emoji-📦']) {
      await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix || undefined, StartAfter: 'a+b c', MaxKeys: 3 }));
    }
    expect(v.failures().map((f) => f.rawUrl)).toEqual([]);
    client.destroy();
    const bad = sdkClient(v.endpoint, 'wrong');
    await expect(bad.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'plus+key' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    bad.destroy();
    expect(v.failures()).toHaveLength(1);
  });

  test('the connector hand-signed GETs, listings and SDK HEADs all verify for keys that stress encoding', async () => {
    await using s3 = await startS3Server();
    const etags = new Map<string, string>();
    for (const key of NASTY_KEYS) etags.set(key, (await s3.putObject(key, `body of ${key}`)).etag);
    await using v = await startSdkVerifier(s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION);
    const connector = createS3Connector({ s3: { ...s3.s3Config, endpoint: v.endpoint }, retry: { count: 0, delaySeconds: 0, backoff: 1 }, maxSockets: 4 });
    try {
      const listed: string[] = [];
      for await (const page of connector.listPages(s3.bucket, '')) listed.push(...page.map((o) => o.key));
      expect(listed.sort()).toEqual([...NASTY_KEYS].sort());
      for (const prefix of ['sp ace/', 'eq=amp&q?hash#', 'pct%', 'nfd-e\u0301', 'emoji-📦', 'trailing space']) {
        const keys: string[] = [];
        for await (const page of connector.listPages(s3.bucket, prefix, undefined, prefix)) keys.push(...page.map((o) => o.key));
        expect(keys.sort(), prefix).toEqual(NASTY_KEYS.filter((k) => k.startsWith(prefix) && k > prefix).sort());
      }
      for (const key of NASTY_KEYS) {
        const got = await connector.getRange(s3.bucket, key, { etag: etags.get(key)!, start: 0 });
        expect((await readAll(got.body)).toString(), key).toBe(`body of ${key}`);
        const part = await connector.getRange(s3.bucket, key, { etag: etags.get(key)!, start: 1, end: 4 });
        expect((await readAll(part.body)).toString(), key).toBe('ody');
        await connector.head(s3.bucket, key);
        await connector.headChecksums(s3.bucket, key, etags.get(key)!);
      }
    } finally {
      connector.destroy();
    }
    expect(v.failures().map((f) => [f.rawUrl, f.reason])).toEqual([]);
  });

  for (const variant of ['session token + SSE-C + requester pays', 'virtual-hosted', 'clock 2h ahead', 'clock 2h behind'] as const) {
    test(`connector requests verify: ${variant}`, async () => {
      await using s3 = await startS3Server();
      const etags = new Map<string, string>();
      for (const key of NASTY_KEYS) etags.set(key, (await s3.putObject(key, `body of ${key}`)).etag);
      const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'FwoGZXIvYXdzE+/=token with spaces  and  runs' };
      const withToken = variant.startsWith('session');
      const vhost = variant === 'virtual-hosted';
      const skew = variant === 'clock 2h ahead' ? 2 * 3600_000 : variant === 'clock 2h behind' ? -2 * 3600_000 : undefined;
      await using v = await startSdkVerifier(s3.endpoint, withToken ? creds : S3RVER_CREDENTIALS, S3RVER_REGION, { virtualHostSuffix: 's3.localhost', clockSkewMs: skew });
      const endpoint = vhost ? v.endpoint.replace('127.0.0.1', 's3.localhost') : v.endpoint;
      const connector = createS3Connector({
        s3: { region: S3RVER_REGION, endpoint, forcePathStyle: !vhost, requesterPays: withToken },
        credentials: withToken ? creds : S3RVER_CREDENTIALS,
        sseCustomerKey: withToken ? Buffer.alloc(32, 0xfb).toString('base64') : undefined,
        retry: { count: 2, delaySeconds: 0, backoff: 1 },
        maxSockets: 4,
      });
      try {
        const listed: string[] = [];
        for await (const page of connector.listPages(s3.bucket, 'sp ace/', undefined, 'sp ace/ ')) listed.push(...page.map((o) => o.key));
        for await (const page of connector.listPages(s3.bucket, '')) listed.push(...page.map((o) => o.key));
        expect(listed.length).toBe(NASTY_KEYS.length + 1);
        for (const key of NASTY_KEYS) {
          const part = await connector.getRange(s3.bucket, key, { etag: etags.get(key)!, start: 1, end: 4 });
          expect((await readAll(part.body)).toString(), key).toBe('ody');
          await connector.head(s3.bucket, key);
        }
      } finally {
        connector.destroy();
      }
      if (vhost) expect(v.requests.every((r) => r.host.startsWith(`${s3.bucket}.s3.localhost`))).toBe(true);
      if (withToken) expect(v.requests.every((r) => r.headers['x-amz-request-payer'] === 'requester')).toBe(true);
      expect(v.failures().filter((f) => f.reason !== 'skewed').map((f) => [f.method, f.rawUrl, f.reason])).toEqual([]);
      expect(v.failures().length).toBeLessThanOrEqual(skew ? 1 : 0);
    });
  }

  test('AWS_SESSION_TOKEN from the environment is sent and signed on every request', async () => {
    await using s3 = await startS3Server();
    const { etag } = await s3.putObject('eq=amp&q?hash#semi', 'x');
    const token = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token==';
    await using v = await startSdkVerifier(s3.endpoint, { ...S3RVER_CREDENTIALS, sessionToken: token }, S3RVER_REGION);
    process.env.AWS_SESSION_TOKEN = token;
    const connector = createS3Connector({ s3: { ...s3.s3Config, endpoint: v.endpoint }, retry: { count: 0, delaySeconds: 0, backoff: 1 }, maxSockets: 4 });
    try {
      for await (const page of connector.listPages(s3.bucket, 'eq=')) expect(page).toHaveLength(1);
      await readAll((await connector.getRange(s3.bucket, 'eq=amp&q?hash#semi', { etag, start: 0 })).body);
      await connector.head(s3.bucket, 'eq=amp&q?hash#semi');
    } finally {
      delete process.env.AWS_SESSION_TOKEN;
      connector.destroy();
    }
    expect(v.requests).toHaveLength(3);
    expect(v.failures()).toEqual([]);
  });

  test('continuation tokens of a long listing under a prefix that needs escaping verify', async () => {
    await using s3 = await startS3Server();
    const prefix = "p +%2F=&?#;~*'(!,@:$ é📦日/";
    await s3.putObjects(Array.from({ length: 250 }, (_, i) => [`${prefix}k${String(i).padStart(3, '0')}`, 'x'] as [string, string]));
    await using v = await startSdkVerifier(s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION);
    const connector = createS3Connector({ s3: { ...s3.s3Config, endpoint: v.endpoint }, retry: { count: 0, delaySeconds: 0, backoff: 1 }, maxSockets: 4 });
    let n = 0;
    try {
      for await (const page of connector.listPages(s3.bucket, prefix)) n += page.length;
    } finally {
      connector.destroy();
    }
    expect(n).toBe(250);
    expect(v.requests.map((r) => r.rawUrl.includes('continuation-token'))).toEqual([false, true]);
    console.log(v.requests[1]!.rawUrl);
    expect(v.failures()).toEqual([]);
  });
});
