import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's built-in account; the SDK credential chain picks these up from the environment. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3RVER_REGION = 'us-east-1';

/** What the server has answered since start (or since `resetCounts()`). */
export interface S3RequestCounts {
  /** Every HTTP request. */
  requests: number;
  /** GetObject requests (a GET on a key, not a listing). */
  gets: number;
  /** ListObjects(V2) requests. */
  lists: number;
  heads: number;
  puts: number;
  /** Bytes written in GetObject response bodies. */
  getBytes: number;
  /** `Range` header of every GetObject, in arrival order (`undefined` when the GET had none). */
  getRanges: Array<{ key: string; range: string | undefined }>;
}

export interface TestS3Server extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  endpoint: string;
  port: number;
  bucket: string;
  /** s3rver's storage directory (inside a temp dir). */
  directory: string;
  /** A client for arranging data (path style, s3rver credentials, checksums only when required). */
  client: S3Client;
  counts: S3RequestCounts;
  resetCounts(): void;
  putObject(key: string, body: Buffer | string): Promise<{ etag: string }>;
  /** Uploads many objects with a bounded number in flight. */
  putObjects(entries: Iterable<[key: string, body: Buffer | string]>, concurrency?: number): Promise<void>;
  deleteObject(key: string): Promise<void>;
  /** The `config.s3` block for this server. */
  s3Config: { endpoint: string; forcePathStyle: true; region: string };
  /** Environment for a child process (CLI) talking to this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function emptyCounts(): S3RequestCounts {
  return { requests: 0, gets: 0, lists: 0, heads: 0, puts: 0, getBytes: 0, getRanges: [] };
}

/**
 * Starts s3rver on 127.0.0.1 with a free port in its own temp dir, creates `bucket`, and makes the
 * SDK credential chain of this process find s3rver's account (AWS_ACCESS_KEY_ID/SECRET/REGION).
 * The test process needs NODE_OPTIONS=--openssl-legacy-provider (s3rver hashes with MD5).
 */
export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'test-bucket';
  process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION ??= S3RVER_REGION;

  const tempDir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const directory = join(tempDir, 'data');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
    // Virtual-hosted requests to `<bucket>.s3.localhost` name their bucket in the host (requests to 127.0.0.1 are path-style).
    serviceEndpoint: 'localhost',
  });
  const address = (await server.run()) as AddressInfo;
  const httpServer = (server as unknown as { httpServer: Server }).httpServer;
  let counts = emptyCounts();
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => countRequest(req, res, bucket, () => counts));

  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: S3RVER_REGION,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    httpServer.closeAllConnections();
    await server.close();
    await rm(tempDir, { recursive: true, force: true });
  };

  const putObject = async (key: string, body: Buffer | string) => {
    const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { etag: out.ETag ?? '' };
  };

  return {
    endpoint,
    port: address.port,
    bucket,
    directory,
    client,
    get counts() {
      return counts;
    },
    resetCounts: () => {
      counts = emptyCounts();
    },
    putObject,
    async putObjects(entries, concurrency = 16) {
      const iterator = entries[Symbol.iterator]();
      const worker = async () => {
        for (let next = iterator.next(); !next.done; next = iterator.next()) await putObject(...next.value);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
    async deleteObject(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    s3Config: { endpoint, forcePathStyle: true, region: S3RVER_REGION },
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: S3RVER_REGION,
      AWS_ENDPOINT_URL_S3: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function countRequest(req: IncomingMessage, res: ServerResponse, bucket: string, counts: () => S3RequestCounts) {
  const c = counts();
  c.requests += 1;
  const url = new URL(req.url ?? '/', 'http://x');
  const bucketPath = `/${bucket}`;
  const key = url.pathname.startsWith(`${bucketPath}/`) ? decodeURIComponent(url.pathname.slice(bucketPath.length + 1)) : '';
  if (req.method === 'HEAD') c.heads += 1;
  else if (req.method === 'PUT') c.puts += 1;
  else if (req.method === 'GET' && key === '' && url.pathname.startsWith(bucketPath)) c.lists += 1;
  else if (req.method === 'GET' && key !== '') {
    c.gets += 1;
    c.getRanges.push({ key, range: req.headers.range });
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const add = (chunk: unknown) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) counts().getBytes += Buffer.byteLength(chunk);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      add(chunk);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') add(chunk);
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
  }
}
