import { inject } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { startS3Server } from '../helpers/s3-server.js';

/**
 * A bucket holding `objects` behind a proxy that throttles every object GET to `bytesPerSecond`, so
 * a run lasts long enough to act on mid-way; `instanceEnv` is an instance's environment against it.
 */
export async function startThrottledSource(objects: Array<[string, Buffer]>, bytesPerSecond: number) {
  const s3 = await startS3Server();
  await s3.putObjects(objects);
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond } : undefined));
  return {
    s3,
    proxy,
    /** Through the proxy, on the pass's Redis, with leases short enough for a test (RUN_LEASE_TTL 2 s). */
    instanceEnv: <E extends Record<string, string>>(env: E): Record<string, string> & E => ({
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      REDIS_URL: inject('redisUrl'),
      RUN_LEASE_TTL: '2s',
      ...env,
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await proxy[Symbol.asyncDispose]();
      await s3[Symbol.asyncDispose]();
    },
  };
}
