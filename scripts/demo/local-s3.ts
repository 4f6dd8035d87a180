import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's built-in account. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_S3_REGION = 'us-east-1';
const MiB = 1024 * 1024;

/** The sample data: a few small files and a couple of large ones (about 75 MiB), fresh random bytes. */
export const SAMPLES: Array<{ key: string; size: number }> = [
  { key: 'samples/readme.txt', size: 2_000 },
  { key: 'samples/config/settings.json', size: 800 },
  { key: 'samples/notes/2026-11-01.md', size: 12_000 },
  { key: 'samples/notes/2026-11-02.md', size: 9_500 },
  { key: 'samples/reports/q3-summary.pdf', size: 3 * MiB + 12_345 },
  { key: 'samples/big/archive-1.bin', size: 40 * MiB },
  { key: 'samples/big/archive-2.bin', size: 30 * MiB + 777 },
];

/** s3rver on 127.0.0.1 (any free port), storing under `directory`, with `bucket` created. */
export async function startLocalS3(directory: string, bucket: string) {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  // Same switch as the service's connector: no SDK notice about Node 20 in the demo's terminal.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint,
    region: LOCAL_S3_REGION,
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const put = (key: string, size: number) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(size) }));
  return {
    endpoint,
    /** Uploads every sample (one at a time: the large ones are held in memory while they upload). */
    async seed(): Promise<number> {
      for (const { key, size } of SAMPLES) await put(key, size);
      return SAMPLES.reduce((sum, s) => sum + s.size, 0);
    },
    /** Replaces an object with new bytes of the same size (a new ETag: the next run fetches it again). */
    refresh: (key: string, size: number) => put(key, size),
    async stop() {
      client.destroy();
      // Idle keep-alive sockets would hold close() open.
      (server as unknown as { httpServer: Server }).httpServer.closeAllConnections();
      await server.close();
    },
  };
}
