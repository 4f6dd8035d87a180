import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throttleObjectGets, type ThrottledProxy } from '../helpers/fault-proxy.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { findPostgresBin, startThrowawayPostgres, type ThrowawayPostgres } from '../setup/throwaway-servers.js';

export interface OwnPostgresSource extends AsyncDisposable {
  /** The test's own server: it may stop or restart it. */
  pg: ThrowawayPostgres;
  s3: TestS3Server;
  /**
   * An instance's environment on the bucket (through the proxy when throttled), the server's
   * database and the source's download folder, with leases short enough for a test (RUN_LEASE_TTL 2 s).
   */
  instanceEnv<E extends Record<string, string>>(env: E): Record<string, string> & { DB_URL: string; DOWNLOAD_ROOT_FOLDER: string } & E;
}

/**
 * A PostgreSQL server of the test's own (stopping or restarting the pass's shared one would cut off
 * the other test files), a bucket holding `objects` and a download folder. With `bytesPerSecond`,
 * every object GET goes through a proxy throttled to that rate, so a run lasts long enough to take
 * the database away mid-way.
 */
export async function startOwnPostgresSource(objects: Array<[string, Buffer]>): Promise<OwnPostgresSource>;
export async function startOwnPostgresSource(objects: Array<[string, Buffer]>, bytesPerSecond: number): Promise<OwnPostgresSource & { proxy: ThrottledProxy }>;
export async function startOwnPostgresSource(objects: Array<[string, Buffer]>, bytesPerSecond?: number): Promise<OwnPostgresSource & { proxy?: ThrottledProxy }> {
  const pg = await startThrowawayPostgres(findPostgresBin()!);
  const s3 = await startS3Server();
  await s3.putObjects(objects);
  const proxy = bytesPerSecond === undefined ? undefined : await throttleObjectGets(s3, bytesPerSecond);
  const dir = await mkdtemp(join(tmpdir(), 'dss-own-postgres-'));
  return {
    pg,
    s3,
    proxy,
    instanceEnv: (env) => ({
      ...s3.env,
      AWS_ENDPOINT_URL_S3: proxy?.endpoint ?? s3.endpoint,
      DB_URL: pg.url,
      DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
      RUN_LEASE_TTL: '2s',
      ...env,
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await rm(dir, { recursive: true, force: true });
      await proxy?.stop();
      await s3.stop();
      await pg.stop();
    },
  };
}
