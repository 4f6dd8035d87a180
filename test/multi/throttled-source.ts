import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freshDbUrl } from '../helpers/db-url.js';
import { throttleObjectGets } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { startS3Server } from '../helpers/s3-server.js';

/** `count` objects `<prefix>000.bin`, `<prefix>001.bin`…, object i of `size + i` seeded bytes. */
export function numberedObjects(prefix: string, count: number, size: number): Array<[string, Buffer]> {
  return Array.from({ length: count }, (_, i) => [`${prefix}${String(i).padStart(3, '0')}.bin`, seededBytes(size + i, i)]);
}

/**
 * A bucket holding `objects` behind a proxy that throttles every object GET to `bytesPerSecond`, so
 * a run lasts long enough to act on mid-way (`proxy.liftThrottle()` ends the slow link), and a fresh database and download folder for the
 * instances sharing the run; `instanceEnv` is an instance's environment against them.
 */
export async function startThrottledSource(objects: Array<[string, Buffer]>, bytesPerSecond: number) {
  const dir = await mkdtemp(join(tmpdir(), 'dss-throttled-'));
  const dbUrl = await freshDbUrl(dir);
  const s3 = await startS3Server();
  await s3.putObjects(objects);
  const proxy = await throttleObjectGets(s3, bytesPerSecond);
  return {
    s3,
    proxy,
    /**
     * Through the proxy, on the pass's Redis and the source's database and download folder, with
     * leases short enough for a test (RUN_LEASE_TTL 2 s).
     */
    instanceEnv: <E extends Record<string, string>>(env: E): Record<string, string> & { DB_URL: string; DOWNLOAD_ROOT_FOLDER: string } & E => ({
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      REDIS_URL: inject('redisUrl'),
      RUN_LEASE_TTL: '2s',
      DB_URL: dbUrl,
      DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
      ...env,
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await proxy[Symbol.asyncDispose]();
      await s3[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
