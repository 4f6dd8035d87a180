import { readAll, type ByteSource } from '../../src/sync/transport/byte-source.js';
import { afterEach, describe, expect, test } from 'vitest';
import { isPreconditionFailed } from '../../src/sync/transfer/range-fetch.js';
import { isRetriableS3Error, withRetry } from '../../src/sync/transport/retry.js';
import { createS3Connector, type S3Connector } from '../../src/sync/transport/s3-connector.js';
import { encodeKey } from '../../src/sync/transport/signed-get.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes, sha256 } from '../helpers/files.js';
import { S3RVER_CREDENTIALS, startS3Server } from '../helpers/s3-server.js';
import { verifySigV4 } from '../helpers/sigv4-gateway.js';

const NO_RETRY = { count: 0, delaySeconds: 0, backoff: 1 };
const connectors: S3Connector[] = [];
afterEach(() => {
  for (const c of connectors.splice(0)) c.destroy();
});

function connect(s3: { endpoint: string; forcePathStyle: true; region: string }, socketTimeoutMs?: number) {
  const connector = createS3Connector({ s3, retry: NO_RETRY, maxSockets: 8, socketTimeoutMs });
  connectors.push(connector);
  return connector;
}

const read = (body: ByteSource) => readAll(body);

const retried = (connector: S3Connector, bucket: string, key: string, etag: string) =>
  withRetry(() => connector.getRange(bucket, key, { etag, start: 0 }), { count: 3, delaySeconds: 0, backoff: 1 });

/** Credentials come from the SDK's chain (the environment here); each connector reads them once. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('signed GET (SigV4 without the SDK middleware)', () => {
  test('whole and ranged GETs of keys with reserved and multi-byte characters are byte-exact', async () => {
    await using s3 = await startS3Server();
    const keys = ["a b/c+d=e&f?g#h", "x/!'()*~@$,;:", 'ü/日本語 %20.bin', 'plain/file.txt'];
    const bodies = keys.map((_, i) => seededBytes(10_000 + i, i));
    const etags = [];
    for (const [i, key] of keys.entries()) etags.push((await s3.putObject(key, bodies[i]!)).etag);
    const connector = connect(s3.s3Config);

    for (const [i, key] of keys.entries()) {
      const whole = await connector.getRange(s3.bucket, key, { etag: etags[i]!, start: 0 });
      expect(whole.contentLength, key).toBe(bodies[i]!.length);
      expect(whole.etag).toBe(etags[i]);
      expect(whole.etagIsNotMd5).toBe(false);
      expect(sha256(await read(whole.body)), key).toBe(sha256(bodies[i]!));
      const part = await connector.getRange(s3.bucket, key, { etag: etags[i]!, start: 100, end: 4100 });
      expect(part.contentLength).toBe(4000);
      expect(sha256(await read(part.body))).toBe(sha256(bodies[i]!.subarray(100, 4100)));
    }
    expect(s3.counts.getRanges.map((g) => g.range)).toEqual(keys.flatMap(() => [undefined, 'bytes=100-4099']));
  });

  test('the signature verifies with the secret (checked independently) and a wrong secret fails, not retried', async () => {
    await using s3 = await startS3Server();
    const { etag } = await s3.putObject('dir/k.txt', 'hello');
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // s3rver checks only the access key id of a SigV4 request, so the proxy checks the signature.
    const verdicts: boolean[] = [];
    proxy.setRule((req) => {
      if (!req.key) return undefined;
      const ok = verifySigV4(
        { method: req.method, rawPath: req.path, headers: req.headers },
        { region: s3.s3Config.region, secretAccessKey: S3RVER_CREDENTIALS.secretAccessKey },
      );
      verdicts.push(ok);
      return ok ? undefined : { kind: 'status', status: 403, code: 'SignatureDoesNotMatch' };
    });
    const good = connect({ ...s3.s3Config, endpoint: proxy.endpoint });
    const ranged = await good.getRange(s3.bucket, 'dir/k.txt', { etag, start: 1, end: 4 });
    expect((await read(ranged.body)).toString()).toBe('ell');
    expect(verdicts).toEqual([true]);

    const bad = await withEnv({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, () =>
      failure(retried(connect({ ...s3.s3Config, endpoint: proxy.endpoint }), s3.bucket, 'dir/k.txt', etag)),
    );
    expect(bad).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    expect(isRetriableS3Error(bad)).toBe(false);
    expect(verdicts).toEqual([true, false]);
  });

  test('an unknown access key is refused by the server (403 InvalidAccessKeyId) and not retried', async () => {
    await using s3 = await startS3Server();
    const { etag } = await s3.putObject('k.txt', 'hello');
    s3.resetCounts();
    const error = await withEnv({ AWS_ACCESS_KEY_ID: 'NOBODY' }, () => failure(retried(connect(s3.s3Config), s3.bucket, 'k.txt', etag)));
    expect(error).toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    expect(isRetriableS3Error(error)).toBe(false);
    expect(s3.counts.requests).toBe(1);
  });

  test('a missing key is NoSuchKey (404), not retried', async () => {
    await using s3 = await startS3Server();
    const missing = await failure(connect(s3.s3Config).getRange(s3.bucket, 'nope.txt', { etag: '"x"', start: 0 }));
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(isRetriableS3Error(missing)).toBe(false);
  });

  test('error answers map to S3 error names and the retry classifier', async () => {
    await using s3 = await startS3Server();
    const { etag } = await s3.putObject('k.txt', 'hello');
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    const connector = connect({ ...s3.s3Config, endpoint: proxy.endpoint }, 1000);
    const cases: Array<[Fault, string, number | undefined, boolean]> = [
      [{ kind: 'status', status: 503, code: 'SlowDown' }, 'SlowDown', 503, true],
      [{ kind: 'status', status: 500, code: 'InternalError' }, 'InternalError', 500, true],
      [{ kind: 'status', status: 403, code: 'AccessDenied' }, 'AccessDenied', 403, false],
      [{ kind: 'status', status: 412, code: 'PreconditionFailed' }, 'PreconditionFailed', 412, false],
      [{ kind: 'respond', status: 412, body: '' }, 'PreconditionFailed', 412, false],
      [{ kind: 'respond', status: 503, body: '' }, 'ServiceUnavailable', 503, true],
      [{ kind: 'respond', status: 404, body: '' }, 'NoSuchKey', 404, false],
      [{ kind: 'hang' }, 'TimeoutError', undefined, true],
    ];
    for (const [fault, name, status, retriable] of cases) {
      proxy.setRule((req) => (req.key ? fault : undefined));
      const error = await failure(connector.getRange(s3.bucket, 'k.txt', { etag, start: 0 }));
      expect(error.name, JSON.stringify(fault)).toBe(name);
      expect(error.$metadata?.httpStatusCode).toBe(status);
      expect(isRetriableS3Error(error), name).toBe(retriable);
      if (status === 412) expect(isPreconditionFailed(error)).toBe(true);
    }
    proxy.setRule((req) => (req.key ? { kind: 'reset' } : undefined));
    expect(isRetriableS3Error(await failure(connector.getRange(s3.bucket, 'k.txt', { etag, start: 0 })))).toBe(true);
  });

  test('KMS-encrypted answers are flagged (their ETag is not an MD5)', async () => {
    await using s3 = await startS3Server();
    const { etag } = await s3.putObject('k.txt', 'hello');
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    const connector = connect({ ...s3.s3Config, endpoint: proxy.endpoint });
    proxy.setRule((req) =>
      req.key
        ? { kind: 'respond', status: 200, body: 'hello', headers: { etag: '"kms-etag"', 'x-amz-server-side-encryption': 'aws:kms' } }
        : undefined,
    );
    const out = await connector.getRange(s3.bucket, 'k.txt', { etag, start: 0 });
    expect(out).toMatchObject({ etag: '"kms-etag"', etagIsNotMd5: true, contentLength: 5 });
    expect((await read(out.body)).toString()).toBe('hello');
  });

  test('keys are encoded as the SDK encodes a greedy path label', () => {
    expect(encodeKey("a b/c+d/!'()*/ü")).toBe('a%20b/c%2Bd/%21%27%28%29%2A/%C3%BC');
    expect(encodeKey('/lead//x')).toBe('/lead//x');
  });
});
